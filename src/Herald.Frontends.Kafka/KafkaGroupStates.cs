using Herald.Broker.Groups;

namespace Herald.Frontends.Kafka;

/// <summary>Group states as Kafka's ListGroups and DescribeGroups spell them (ClassicGroupState.toString).</summary>
internal static class KafkaGroupStates
{
    public static string Name(GroupState state) => state switch
    {
        GroupState.Empty => "Empty",
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        _ => "Dead",
    };
}
