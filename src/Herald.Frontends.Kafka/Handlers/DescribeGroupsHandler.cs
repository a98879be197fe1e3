using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DescribeGroups (key 15), v0-5, as Kafka's GroupMetadata.summary: state, protocol type, members with client id,
/// client host ("/address") and static instance id (v4+); the chosen protocol and each member's metadata and
/// assignment bytes only while the group is Stable (otherwise they are empty, as in Kafka). An unknown group is
/// described as Dead with no error (v0-5). Authorized operations (v3+, when asked) are those Kafka reports for a
/// group without an authorizer: READ, DELETE and DESCRIBE; otherwise Int32.MinValue ("not requested").
/// </summary>
internal sealed class DescribeGroupsHandler() : KafkaApiHandler<DescribeGroupsRequest>(ApiKey.DescribeGroups, new VersionRange(0, 5))
{
    /// <summary>Bits of Kafka's AclOperation codes: READ (3), DELETE (6), DESCRIBE (8).</summary>
    private const int GroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DescribeGroupsRequest request)
    {
        var groups = context.Broker.Groups;
        var response = new DescribeGroupsResponse();
        foreach (var groupId in request.Groups)
        {
            var described = new DescribeGroupsResponse.DescribedGroup { GroupId = groupId };
            response.Groups.Add(described);
            if (!groups.IsAvailable)
            {
                described.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
                described.GroupState = KafkaGroupStates.Name(GroupState.Dead);
                continue;
            }
            var description = groups.Describe(groupId);
            var stable = description.State == GroupState.Stable;
            described.GroupState = KafkaGroupStates.Name(description.State);
            described.ProtocolType = description.ProtocolType;
            described.ProtocolData = stable ? description.ProtocolName : "";
            if (context.ApiVersion >= 3 && request.IncludeAuthorizedOperations)
            {
                described.AuthorizedOperations = GroupOperations;
            }
            foreach (var member in description.Members)
            {
                described.Members.Add(new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = member.MemberId,
                    GroupInstanceId = member.GroupInstanceId,
                    ClientId = member.ClientId,
                    ClientHost = member.ClientHost,
                    MemberMetadata = stable ? member.Metadata : ReadOnlyMemory<byte>.Empty,
                    MemberAssignment = stable ? member.Assignment : ReadOnlyMemory<byte>.Empty,
                });
            }
        }
        return KafkaReply.Ready(response);
    }
}
