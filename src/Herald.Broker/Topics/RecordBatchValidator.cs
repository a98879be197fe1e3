using System.Buffers.Binary;
using Herald.Primitives.Records;

namespace Herald.Broker.Topics;

/// <summary>
/// Checks a produced record batch before it reaches the log, as Kafka's <c>ProduceRequest.validateRecords</c> and
/// <c>LogValidator</c> do for magic 2 (kafka-compatibility.md section 2.3), from the 61-byte header alone: records
/// are never decoded. Then, for LogAppendTime topics, stamps the batch in place: the max timestamp becomes the
/// broker's clock, attribute bit 3 is set and the CRC-32C recomputed, after first verifying the CRC the producer
/// sent (a stamp must never bless corrupt bytes). For CreateTime topics the CRC is left to the log's own append
/// check. Stateless; thread-safe.
/// </summary>
public static class RecordBatchValidator
{
    /// <summary>
    /// Validates <paramref name="batch"/> (exactly one whole batch) for a topic with <paramref name="configs"/>
    /// and segments of <paramref name="segmentSizeBytes"/>. Returns <see cref="TopicError.None"/> or the refusal
    /// and a message naming the rule.
    /// </summary>
    public static TopicError Validate(Span<byte> batch, TopicConfigs configs, long segmentSizeBytes, long nowMs,
        out string? message)
    {
        message = null;
        if (!RecordBatchHeader.TryRead(batch, out var header))
        {
            message = $"A record batch needs at least {RecordBatch.HeaderSize} bytes; got {batch.Length}.";
            return TopicError.CorruptMessage;
        }
        if (header.Magic != RecordBatch.CurrentMagic)
        {
            message = $"Produce requests may only contain record batches with magic 2, not {header.Magic}.";
            return TopicError.InvalidRecord;
        }
        if (header.BatchLength < RecordBatch.HeaderSize - RecordBatch.LogOverhead || header.TotalSize != batch.Length)
        {
            message = header.TotalSize < batch.Length
                ? "Produce requests may contain exactly one record batch per partition."
                : $"The record batch claims {header.TotalSize} bytes but {batch.Length} were sent.";
            return header.TotalSize < batch.Length ? TopicError.InvalidRecord : TopicError.CorruptMessage;
        }
        if (batch.Length > configs.MaxMessageBytes)
        {
            message = $"The record batch is {batch.Length} bytes, larger than max.message.bytes {configs.MaxMessageBytes}.";
            return TopicError.MessageTooLarge;
        }
        if (batch.Length > segmentSizeBytes)
        {
            message = $"The record batch is {batch.Length} bytes, larger than segment.bytes {segmentSizeBytes}.";
            return TopicError.RecordListTooLarge;
        }
        if (header.RecordCount <= 0 || header.LastOffsetDelta != header.RecordCount - 1)
        {
            message = $"The record batch has {header.RecordCount} records but a last offset delta of {header.LastOffsetDelta}.";
            return TopicError.InvalidRecord;
        }
        if ((header.Attributes & ~(RecordBatch.CompressionMask | RecordBatch.TimestampTypeFlag | RecordBatch.TransactionalFlag)) != 0 ||
            (int)header.Compression > (int)CompressionType.Zstd)
        {
            message = header.IsControl
                ? "Clients may not write control batches."
                : $"The record batch has unknown attributes 0x{header.Attributes:x4}.";
            return TopicError.InvalidRecord;
        }
        if (header.ProducerId >= 0 && header.BaseSequence < 0)
        {
            message = "An idempotent record batch (producer id set) needs a base sequence.";
            return TopicError.InvalidRecord;
        }
        if (header.IsTransactional)
        {
            message = "Transactional record batches are not supported by this broker yet.";
            return TopicError.TransactionsUnsupported;
        }
        if (configs.TimestampType == TimestampType.LogAppendTime)
        {
            if (!RecordBatch.IsCrcValid(batch))
            {
                message = "The record batch fails its CRC-32C check.";
                return TopicError.CorruptMessage;
            }
            StampLogAppendTime(batch, nowMs);
            return TopicError.None;
        }
        return CheckCreateTime(header, configs, nowMs, out message);
    }

    /// <summary>Kafka's <c>validateTimestamp</c>, on the batch's first and largest timestamps.</summary>
    private static TopicError CheckCreateTime(RecordBatchHeader header, TopicConfigs configs, long nowMs, out string? message)
    {
        message = null;
        var earliest = header.BaseTimestamp;
        var latest = header.MaxTimestamp;
        if (earliest == RecordBatch.NoTimestamp && latest == RecordBatch.NoTimestamp)
        {
            return TopicError.None;
        }
        if (configs.TimestampBeforeMaxMs != long.MaxValue && earliest >= 0 && nowMs - earliest > configs.TimestampBeforeMaxMs)
        {
            message = $"Timestamp {earliest} is more than message.timestamp.before.max.ms ({configs.TimestampBeforeMaxMs}) in the past.";
            return TopicError.InvalidTimestamp;
        }
        if (configs.TimestampAfterMaxMs != long.MaxValue && latest - nowMs > configs.TimestampAfterMaxMs)
        {
            message = $"Timestamp {latest} is more than message.timestamp.after.max.ms ({configs.TimestampAfterMaxMs}) in the future.";
            return TopicError.InvalidTimestamp;
        }
        return TopicError.None;
    }

    private static void StampLogAppendTime(Span<byte> batch, long nowMs)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatch.AttributesPosition..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.AttributesPosition..], (short)(attributes | RecordBatch.TimestampTypeFlag));
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.MaxTimestampPosition..], nowMs);
        RecordBatch.UpdateCrc(batch);
    }
}
