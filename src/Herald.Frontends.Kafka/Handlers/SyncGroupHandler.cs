using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// SyncGroup (key 14), v0-5. Followers wait for the leader's assignment, so the answer is a pending reply like
/// JoinGroup's; v5+ also checks the protocol type and name.
/// </summary>
internal sealed class SyncGroupHandler() : KafkaApiHandler<SyncGroupRequest>(ApiKey.SyncGroup, new VersionRange(0, 5))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, SyncGroupRequest request)
    {
        var assignments = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var assignment in request.Assignments)
        {
            // Copied: the bytes are a slice of the frame's pooled buffer.
            assignments[assignment.MemberId] = assignment.Assignment.ToArray();
        }
        var sync = new GroupSyncRequest(request.GroupId, request.MemberId, request.GroupInstanceId,
            request.GenerationId, request.ProtocolType, request.ProtocolName, assignments);
        var pending = context.Broker.Groups.SyncAsync(sync);
        return KafkaReply.Later(pending.ContinueWith(static t => new KafkaResponse(ToResponse(t.Result)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
    }

    private static SyncGroupResponse ToResponse(GroupSyncResult result) => new()
    {
        ErrorCode = KafkaGroupErrors.From(result.Error),
        ProtocolType = result.ProtocolType,
        ProtocolName = result.ProtocolName,
        Assignment = result.Assignment,
    };
}
