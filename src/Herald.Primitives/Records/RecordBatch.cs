using System.Buffers.Binary;

namespace Herald.Primitives.Records;

/// <summary>
/// Kafka's v2 record batch ("magic 2"), the unit Herald stores on disk and serves on the wire. All integers are
/// big-endian. Layout (byte position: field):
/// <code>
///  0 baseOffset           int64   first offset in the batch (assigned by the log on append)
///  8 batchLength          int32   bytes that follow this field (total size = 12 + batchLength)
/// 12 partitionLeaderEpoch int32
/// 16 magic                int8    always 2
/// 17 crc                  uint32  CRC-32C of bytes 21..end (attributes to the last record)
/// 21 attributes           int16   bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control,
///                                 6 has delete horizon
/// 23 lastOffsetDelta      int32   last offset - base offset
/// 27 baseTimestamp        int64   timestamp of the first record (or the delete horizon when bit 6 is set)
/// 35 maxTimestamp         int64
/// 43 producerId           int64   -1 when not idempotent
/// 51 producerEpoch        int16
/// 53 baseSequence         int32
/// 57 recordCount          int32
/// 61 records              (compressed as a whole when bits 0-2 are non-zero)
/// </code>
/// Changing the base offset or the leader epoch does not change the CRC; changing anything from the attributes on
/// does.
/// </summary>
public static class RecordBatch
{
    public const int BaseOffsetPosition = 0;
    public const int LengthPosition = 8;
    public const int PartitionLeaderEpochPosition = 12;
    public const int MagicPosition = 16;
    public const int CrcPosition = 17;
    public const int AttributesPosition = 21;
    public const int LastOffsetDeltaPosition = 23;
    public const int BaseTimestampPosition = 27;
    public const int MaxTimestampPosition = 35;
    public const int ProducerIdPosition = 43;
    public const int ProducerEpochPosition = 51;
    public const int BaseSequencePosition = 53;
    public const int RecordCountPosition = 57;

    /// <summary>Bytes before the records.</summary>
    public const int HeaderSize = 61;

    /// <summary>The base offset and length fields, which are not counted in <c>batchLength</c>.</summary>
    public const int LogOverhead = 12;

    public const byte CurrentMagic = 2;

    public const short CompressionMask = 0x07;
    public const short TimestampTypeFlag = 0x08;
    public const short TransactionalFlag = 0x10;
    public const short ControlFlag = 0x20;
    public const short DeleteHorizonFlag = 0x40;

    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;
    public const long NoTimestamp = -1;

    public static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetPosition..], baseOffset);

    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochPosition..], epoch);

    /// <summary>Computes the CRC the batch should carry (over attributes..end).</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[AttributesPosition..]);

    /// <summary>Recomputes and stores the CRC after fields it covers were changed.</summary>
    public static void UpdateCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcPosition..], ComputeCrc(batch));

    public static bool IsCrcValid(ReadOnlySpan<byte> batch) =>
        BinaryPrimitives.ReadUInt32BigEndian(batch[CrcPosition..]) == ComputeCrc(batch);
}

/// <summary>A read-only view of the fixed 61-byte header of a v2 record batch (see <see cref="RecordBatch"/>).</summary>
public readonly ref struct RecordBatchHeader
{
    private readonly ReadOnlySpan<byte> _bytes;

    private RecordBatchHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads a header if at least <see cref="RecordBatch.HeaderSize"/> bytes are present. It checks nothing else:
    /// callers validate magic, length and CRC according to their own rules.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordBatchHeader header)
    {
        if (source.Length < RecordBatch.HeaderSize)
        {
            header = default;
            return false;
        }
        header = new RecordBatchHeader(source[..RecordBatch.HeaderSize]);
        return true;
    }

    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(_bytes);
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordBatch.LengthPosition..]);

    /// <summary>Size of the whole batch including the offset and length fields.</summary>
    public long TotalSize => RecordBatch.LogOverhead + (long)BatchLength;

    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordBatch.PartitionLeaderEpochPosition..]);
    public byte Magic => _bytes[RecordBatch.MagicPosition];
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(_bytes[RecordBatch.CrcPosition..]);
    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(_bytes[RecordBatch.AttributesPosition..]);
    public CompressionType Compression => (CompressionType)(Attributes & RecordBatch.CompressionMask);
    public TimestampType TimestampType =>
        (Attributes & RecordBatch.TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
    public bool IsTransactional => (Attributes & RecordBatch.TransactionalFlag) != 0;
    public bool IsControl => (Attributes & RecordBatch.ControlFlag) != 0;
    public bool HasDeleteHorizon => (Attributes & RecordBatch.DeleteHorizonFlag) != 0;
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordBatch.LastOffsetDeltaPosition..]);
    public long LastOffset => BaseOffset + LastOffsetDelta;
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[RecordBatch.BaseTimestampPosition..]);
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[RecordBatch.MaxTimestampPosition..]);
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(_bytes[RecordBatch.ProducerIdPosition..]);
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(_bytes[RecordBatch.ProducerEpochPosition..]);
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordBatch.BaseSequencePosition..]);
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordBatch.RecordCountPosition..]);
}
