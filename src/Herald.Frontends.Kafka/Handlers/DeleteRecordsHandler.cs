using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DeleteRecords (key 21), v0-2: moves each partition's log start offset up to the requested offset (-1: the high
/// watermark), so consumers see it as the earliest offset and fetches below it get OFFSET_OUT_OF_RANGE. As Kafka:
/// an offset above the high watermark is OFFSET_OUT_OF_RANGE, an unknown partition UNKNOWN_TOPIC_OR_PARTITION, a
/// compact-only topic POLICY_VIOLATION; the response carries the new low watermark (the log start offset). A
/// single node has no replicas to wait for: the change is durable when answered.
/// </summary>
internal sealed class DeleteRecordsHandler() : KafkaApiHandler<DeleteRecordsRequest>(ApiKey.DeleteRecords, new VersionRange(0, 2))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DeleteRecordsRequest request)
    {
        var response = new DeleteRecordsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            context.Broker.Topics.TryGet(topic.Name, out var found);
            foreach (var partitionRequest in topic.Partitions)
            {
                var result = new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = partitionRequest.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                if (found?.GetPartition(partitionRequest.PartitionIndex) is not { } partition)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                var error = partition.DeleteRecordsBefore(partitionRequest.Offset, out var lowWatermark, out _);
                result.ErrorCode = KafkaErrors.From(error);
                result.LowWatermark = error == TopicError.None ? lowWatermark.Value : -1;
            }
        }
        return KafkaReply.Ready(response);
    }
}
