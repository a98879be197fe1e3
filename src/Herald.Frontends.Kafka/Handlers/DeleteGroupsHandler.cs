using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DeleteGroups (key 42), v0-2: each group is deleted with its committed offsets (tombstones in the offsets log,
/// answered once durable) if it has no members; NON_EMPTY_GROUP if it has, GROUP_ID_NOT_FOUND if it is unknown,
/// INVALID_GROUP_ID for an empty id. Each group has its own result.
/// </summary>
internal sealed class DeleteGroupsHandler() : KafkaApiHandler<DeleteGroupsRequest>(ApiKey.DeleteGroups, new VersionRange(0, 2))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DeleteGroupsRequest request) =>
        KafkaReply.Later(DeleteAsync(context.Broker.Groups, [.. request.GroupsNames]));

    private static async Task<KafkaResponse> DeleteAsync(GroupCoordinator groups, List<string> names)
    {
        var response = new DeleteGroupsResponse();
        foreach (var name in names)
        {
            var error = name.Length == 0 ? GroupError.InvalidGroupId : await DeleteOneAsync(groups, name);
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult
            {
                GroupId = name,
                ErrorCode = KafkaGroupErrors.From(error),
            });
        }
        return new KafkaResponse(response);
    }

    private static async Task<GroupError> DeleteOneAsync(GroupCoordinator groups, string name)
    {
        try
        {
            return await groups.DeleteAsync(name);
        }
        catch (Exception e) when (e is IOException or Storage.Log.StorageException)
        {
            return GroupError.StorageUnavailable;
        }
    }
}
