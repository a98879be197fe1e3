using System.Buffers;
using Herald.Broker.Topics;
using Herald.Primitives;
using Herald.Primitives.Records;

namespace Herald.Broker.Groups;

/// <summary>
/// How far one group is behind on one partition. <see cref="Messages"/> is the last stable offset (the high watermark:
/// there are no transactions yet) minus the committed offset. <see cref="Time"/> is how long the oldest unconsumed
/// record has waited: now minus the append time of the batch holding the committed offset (zero when caught up).
/// <see cref="CommittedOffset"/> is null when the group committed nothing for the partition: then lag is unknown, as
/// Kafka's tools show it.
/// </summary>
public readonly record struct PartitionLag(
    string Topic, int Partition, long? CommittedOffset, long LogStartOffset, long HighWatermark, long? Messages, TimeSpan? Time);

/// <summary>
/// Consumer lag, computed on demand from committed offsets and partition logs (for metrics and the management UI;
/// nothing is tracked per message). The time lag reads one batch header at the committed offset: for a topic with
/// <c>LogAppendTime</c> its max timestamp is the append time; with <c>CreateTime</c> it is the newest producer
/// timestamp of the batch, the closest stored lower bound of the append time (a whole batch is appended at once).
/// Thread-safe; stateless apart from its references.
/// </summary>
public sealed class GroupLag(TopicRegistry topics, CommittedOffsetStore offsets, TimeProvider clock)
{
    /// <summary>Lag of every partition of every topic the group committed an offset for (partitions without a commit included).</summary>
    public IReadOnlyList<PartitionLag> Of(string groupId)
    {
        var committed = offsets.GetAll(groupId);
        var result = new List<PartitionLag>();
        string? previousTopic = null;
        foreach (var (topicName, _, _) in committed)
        {
            if (topicName == previousTopic)
            {
                continue;
            }
            previousTopic = topicName;
            if (!topics.TryGet(topicName, out var topic))
            {
                continue;
            }
            foreach (var partition in topic.Partitions)
            {
                result.Add(Measure(partition, offsets.Get(groupId, topicName, partition.Index)?.Offset));
            }
        }
        return result;
    }

    /// <summary>Lag of one partition, or null when the topic or partition does not exist.</summary>
    public PartitionLag? Of(string groupId, string topicName, int partitionIndex)
    {
        if (!topics.TryGet(topicName, out var topic) || topic.GetPartition(partitionIndex) is not { } partition)
        {
            return null;
        }
        return Measure(partition, offsets.Get(groupId, topicName, partitionIndex)?.Offset);
    }

    private PartitionLag Measure(Partition partition, long? committed)
    {
        var start = partition.LogStartOffset.Value;
        var end = partition.HighWatermark.Value;
        if (committed is not { } position)
        {
            return new PartitionLag(partition.Topic.Name, partition.Index, null, start, end, null, null);
        }
        var messages = Math.Max(0, end - Math.Max(position, start));
        TimeSpan? time = TimeSpan.Zero;
        if (messages > 0)
        {
            // Records below the log start were removed by retention: the oldest one still waiting is the first kept.
            time = AppendTimeAt(partition, Math.Max(position, start)) is { } appended
                ? TimeSpan.FromMilliseconds(Math.Max(0, clock.GetUtcNow().ToUnixTimeMilliseconds() - appended))
                : null;
        }
        return new PartitionLag(partition.Topic.Name, partition.Index, position, start, end, messages, time);
    }

    /// <summary>The append time of the batch holding <paramref name="offset"/>, or null if it cannot be read.</summary>
    private static long? AppendTimeAt(Partition partition, long offset)
    {
        if (partition.TryRead(new Offset(offset), RecordBatch.HeaderSize, out var slice) != TopicError.None)
        {
            return null;
        }
        using (slice)
        {
            if (slice.IsEmpty)
            {
                return null;
            }
            // The read returns at least the whole first batch; only its header is needed. Returned in finally.
            var buffer = ArrayPool<byte>.Shared.Rent(slice.Length);
            try
            {
                if (Partition.TryCopy(slice, buffer, out var whole) != TopicError.None || whole < RecordBatch.HeaderSize
                    || !RecordBatchHeader.TryRead(buffer.AsSpan(0, whole), out var header))
                {
                    return null;
                }
                return header.MaxTimestamp == RecordBatch.NoTimestamp ? null : header.MaxTimestamp;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
