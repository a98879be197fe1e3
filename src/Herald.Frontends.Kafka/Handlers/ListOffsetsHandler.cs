using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// ListOffsets (key 2), v1-7 (v1 is librdkafka's OffsetTime minimum and kafka-python's only version; v0's
/// old-style offset lists are not served). Timestamps: -2 earliest (the log start), -1 latest (the high watermark,
/// which is also the last stable offset while no transactions exist, so read_committed gets the same), -3 (v7+) the
/// record with the largest timestamp, and any other value the first record at or after it, or offset -1 when there
/// is none. Leader epochs are -1 (no epochs are exposed).
/// </summary>
internal sealed class ListOffsetsHandler() : KafkaApiHandler<ListOffsetsRequest>(ApiKey.ListOffsets, new VersionRange(1, 7))
{
    private const long Latest = -1;
    private const long Earliest = -2;
    private const long MaxTimestamp = -3;

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (var requested in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = requested.Name };
            response.Topics.Add(topicResponse);
            context.Broker.Topics.TryGet(requested.Name, out var topic);
            foreach (var asked in requested.Partitions)
            {
                var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = asked.PartitionIndex };
                topicResponse.Partitions.Add(answer);
                var partition = topic?.GetPartition(asked.PartitionIndex);
                var error = partition is null ? TopicError.UnknownTopicOrPartition : Look(partition, asked.Timestamp, context.ApiVersion, answer);
                if (error != TopicError.None)
                {
                    answer.ErrorCode = KafkaErrors.From(error);
                    answer.Offset = -1;
                    answer.Timestamp = -1;
                }
            }
        }
        return KafkaReply.Ready(response);
    }

    private static TopicError Look(Partition partition, long timestamp, short version,
        ListOffsetsResponse.ListOffsetsPartitionResponse answer)
    {
        answer.Timestamp = -1;
        switch (timestamp)
        {
            case Latest:
                answer.Offset = partition.HighWatermark.Value;
                return TopicError.None;
            case Earliest:
                answer.Offset = partition.LogStartOffset.Value;
                return TopicError.None;
            case MaxTimestamp when version >= 7:
            {
                var error = partition.TryFindMaxTimestamp(out var max);
                answer.Offset = max?.Offset.Value ?? -1;
                answer.Timestamp = max?.Timestamp ?? -1;
                return error;
            }
            case < 0:
                // Other negative specs (-4 local log start, -5 tiered) belong to versions not advertised.
                answer.ErrorCode = (short)ErrorCode.UnsupportedVersion;
                answer.Offset = -1;
                return TopicError.None;
            default:
            {
                var error = partition.TryFindOffsetByTimestamp(timestamp, out var found);
                answer.Offset = found?.Offset.Value ?? -1;
                answer.Timestamp = found?.Timestamp ?? -1;
                return error;
            }
        }
    }
}
