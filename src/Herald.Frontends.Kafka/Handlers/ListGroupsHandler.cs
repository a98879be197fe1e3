using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// ListGroups (key 16), v0-4: every group the coordinator knows, including groups known only by "simple" commits
/// (protocol type ""), as Kafka lists them. v4 adds each group's state and a states filter (matched without regard to
/// case, as Kafka's ClassicGroupState parsing does); an empty filter means every state.
/// </summary>
internal sealed class ListGroupsHandler() : KafkaApiHandler<ListGroupsRequest>(ApiKey.ListGroups, new VersionRange(0, 4))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, ListGroupsRequest request)
    {
        var groups = context.Broker.Groups;
        var response = new ListGroupsResponse();
        if (!groups.IsAvailable)
        {
            response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
            return KafkaReply.Ready(response);
        }
        var filter = context.ApiVersion >= 4 && request.StatesFilter.Count > 0
            ? new HashSet<string>(request.StatesFilter, StringComparer.OrdinalIgnoreCase)
            : null;
        foreach (var listing in groups.List())
        {
            var state = KafkaGroupStates.Name(listing.State);
            if (filter is null || filter.Contains(state))
            {
                response.Groups.Add(new ListGroupsResponse.ListedGroup
                {
                    GroupId = listing.GroupId,
                    ProtocolType = listing.ProtocolType,
                    GroupState = state,
                });
            }
        }
        return KafkaReply.Ready(response);
    }
}
