using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// JoinGroup (key 11), v0-9. The answer waits for the join phase to end (initial delay, all members rejoined, or the
/// rebalance timeout), so it is a pending reply: later requests on the connection keep running and their answers
/// queue behind it. v4+ joins without a member id get MEMBER_ID_REQUIRED first; v0 has no rebalance timeout and
/// uses the session timeout, as Kafka does.
/// </summary>
internal sealed class JoinGroupHandler() : KafkaApiHandler<JoinGroupRequest>(ApiKey.JoinGroup, new VersionRange(0, 9))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, JoinGroupRequest request)
    {
        var join = new GroupJoinRequest(
            request.GroupId,
            request.MemberId,
            request.GroupInstanceId,
            context.Header.ClientId ?? "",
            context.Connection.ClientHost,
            TimeSpan.FromMilliseconds(request.SessionTimeoutMs),
            TimeSpan.FromMilliseconds(request.RebalanceTimeoutMs >= 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs),
            request.ProtocolType,
            // The metadata is a slice of the frame's pooled buffer: copy it, the join outlives the frame.
            [.. request.Protocols.Select(p => new GroupProtocol(p.Name, p.Metadata.ToArray()))],
            RequireKnownMemberId: context.ApiVersion >= 4);
        var version = context.ApiVersion;
        var pending = context.Broker.Groups.JoinAsync(join);
        return KafkaReply.Later(pending.ContinueWith(t => new KafkaResponse(ToResponse(t.Result, version)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
    }

    private static JoinGroupResponse ToResponse(GroupJoinResult result, short version)
    {
        var response = new JoinGroupResponse
        {
            ErrorCode = KafkaGroupErrors.From(result.Error),
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            // Before v7 the name is not nullable; librdkafka also treats a null name on success as a bad message.
            ProtocolName = result.ProtocolName ?? (version >= 7 ? null : ""),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
        };
        foreach (var member in result.Members)
        {
            response.Members.Add(new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                Metadata = member.Metadata,
            });
        }
        return response;
    }
}
