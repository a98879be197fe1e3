using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>Heartbeat (key 12), v0-4: keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin.</summary>
internal sealed class HeartbeatHandler() : KafkaApiHandler<HeartbeatRequest>(ApiKey.Heartbeat, new VersionRange(0, 4))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, HeartbeatRequest request)
    {
        var error = context.Broker.Groups.Heartbeat(request.GroupId, request.MemberId, request.GroupInstanceId, request.GenerationId);
        return KafkaReply.Ready(new HeartbeatResponse { ErrorCode = KafkaGroupErrors.From(error) });
    }
}
