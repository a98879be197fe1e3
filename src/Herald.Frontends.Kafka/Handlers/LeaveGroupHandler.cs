using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// LeaveGroup (key 13), v0-5: one member (v0-2) or a batch of members by id or static instance id (v3+), with an
/// error per member; the group rebalances, or becomes Empty when the last member leaves.
/// </summary>
internal sealed class LeaveGroupHandler() : KafkaApiHandler<LeaveGroupRequest>(ApiKey.LeaveGroup, new VersionRange(0, 5))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, LeaveGroupRequest request)
    {
        List<LeavingMember> leaving = context.ApiVersion < 3
            ? [new LeavingMember(request.MemberId, null)]
            : [.. request.Members.Select(m => new LeavingMember(m.MemberId, m.GroupInstanceId))];
        var (groupError, memberErrors) = context.Broker.Groups.Leave(request.GroupId, leaving);
        var response = new LeaveGroupResponse { ErrorCode = KafkaGroupErrors.From(groupError) };
        if (context.ApiVersion < 3)
        {
            // v0-2 have a single error: the member's own.
            if (groupError == GroupError.None && memberErrors.Count == 1)
            {
                response.ErrorCode = KafkaGroupErrors.From(memberErrors[0]);
            }
            return KafkaReply.Ready(response);
        }
        for (var i = 0; i < memberErrors.Count; i++)
        {
            response.Members.Add(new LeaveGroupResponse.MemberResponse
            {
                MemberId = leaving[i].MemberId,
                GroupInstanceId = leaving[i].GroupInstanceId,
                ErrorCode = KafkaGroupErrors.From(memberErrors[i]),
            });
        }
        return KafkaReply.Ready(response);
    }
}
