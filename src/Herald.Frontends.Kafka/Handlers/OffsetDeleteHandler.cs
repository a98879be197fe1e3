using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// OffsetDelete (key 47), v0: deletes a group's committed offsets for some partitions, durably, as Kafka does: an
/// unknown group gets GROUP_ID_NOT_FOUND and a group with members that is not a consumer group NON_EMPTY_GROUP (both
/// for the whole request); partitions of topics a member subscribes to get GROUP_SUBSCRIBED_TO_TOPIC, partitions of
/// unknown topics UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class OffsetDeleteHandler() : KafkaApiHandler<OffsetDeleteRequest>(ApiKey.OffsetDelete, new VersionRange(0, 0))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, OffsetDeleteRequest request)
    {
        var response = new OffsetDeleteResponse();
        var toDelete = new List<GroupTopicPartition>();
        var results = new List<OffsetDeleteResponse.OffsetDeleteResponsePartition>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetDeleteResponse.OffsetDeleteResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            context.Broker.Topics.TryGet(topic.Name, out var known);
            foreach (var partition in topic.Partitions)
            {
                var result = new OffsetDeleteResponse.OffsetDeleteResponsePartition { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                if (known?.GetPartition(partition.PartitionIndex) is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                toDelete.Add(new GroupTopicPartition(topic.Name, partition.PartitionIndex));
                results.Add(result);
            }
        }
        return KafkaReply.Later(DeleteAsync(context.Broker.Groups, request.GroupId, toDelete, results, response));
    }

    private static async Task<KafkaResponse> DeleteAsync(GroupCoordinator groups, string groupId, List<GroupTopicPartition> partitions,
        List<OffsetDeleteResponse.OffsetDeleteResponsePartition> results, OffsetDeleteResponse response)
    {
        var (groupError, errors) = await groups.DeleteOffsetsAsync(groupId, partitions, KafkaConsumerSubscription.Instance);
        if (groupError != GroupError.None)
        {
            // Kafka answers a group-level error with that error alone (OffsetDeleteRequest.getErrorResponse).
            return new KafkaResponse(new OffsetDeleteResponse { ErrorCode = KafkaGroupErrors.From(groupError) });
        }
        for (var i = 0; i < results.Count; i++)
        {
            results[i].ErrorCode = KafkaGroupErrors.From(errors[i]);
        }
        return new KafkaResponse(response);
    }
}
