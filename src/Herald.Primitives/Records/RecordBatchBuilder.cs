using System.Buffers.Binary;

namespace Herald.Primitives.Records;

/// <summary>
/// Builds one uncompressed v2 record batch (see <see cref="RecordBatch"/>) in a buffer the builder owns and reuses,
/// so a connection or a log cleaner can keep one builder and encode batch after batch without allocating.
/// Not thread-safe. The span <see cref="Build"/> returns is valid until the next <see cref="Reset"/>.
/// </summary>
public sealed class RecordBatchBuilder
{
    private byte[] _buffer;
    private int _length;
    private int _count;
    private int _lastOffsetDelta;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private short _attributes;
    private long _producerId;
    private short _producerEpoch;
    private int _baseSequence;

    public RecordBatchBuilder(int initialCapacity = 4096)
    {
        _buffer = new byte[Math.Max(initialCapacity, RecordBatch.HeaderSize)];
        Reset(0);
    }

    public int RecordCount => _count;

    /// <summary>Size of the batch built so far, header included.</summary>
    public int SizeInBytes => _length;

    /// <summary>Starts a new batch. <paramref name="attributes"/> must not carry a compression codec.</summary>
    public void Reset(long baseTimestamp, short attributes = 0, long producerId = RecordBatch.NoProducerId,
        short producerEpoch = RecordBatch.NoProducerEpoch, int baseSequence = RecordBatch.NoSequence)
    {
        if ((attributes & RecordBatch.CompressionMask) != 0)
        {
            throw new ArgumentException("The builder writes uncompressed batches.", nameof(attributes));
        }
        _length = RecordBatch.HeaderSize;
        _count = 0;
        _lastOffsetDelta = -1;
        _baseTimestamp = baseTimestamp;
        _maxTimestamp = long.MinValue;
        _attributes = attributes;
        _producerId = producerId;
        _producerEpoch = producerEpoch;
        _baseSequence = baseSequence;
    }

    /// <summary>Adds a record at the next offset delta.</summary>
    public void Add(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        Add(_lastOffsetDelta + 1, timestamp, key, keyIsNull: false, value, valueIsNull: false, 0, default);

    /// <summary>
    /// Adds a record with every field explicit. <paramref name="encodedHeaders"/> holds
    /// <paramref name="headerCount"/> headers already in wire form (as <see cref="Record.Headers"/> gives them).
    /// Offset deltas must increase; gaps are allowed (a compacted batch keeps its records' original offsets).
    /// </summary>
    public void Add(int offsetDelta, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value,
        bool valueIsNull, int headerCount, ReadOnlySpan<byte> encodedHeaders)
    {
        if (offsetDelta <= _lastOffsetDelta)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetDelta), "Offset deltas must increase within a batch.");
        }
        var timestampDelta = timestamp - _baseTimestamp;
        var keyLength = keyIsNull ? -1 : key.Length;
        var valueLength = valueIsNull ? -1 : value.Length;
        var bodyLength = 1 + VarInt.SizeOf(timestampDelta) + VarInt.SizeOf(offsetDelta)
            + VarInt.SizeOf(keyLength) + Math.Max(keyLength, 0)
            + VarInt.SizeOf(valueLength) + Math.Max(valueLength, 0)
            + VarInt.SizeOf(headerCount) + encodedHeaders.Length;
        EnsureCapacity(VarInt.MaxVarIntBytes + bodyLength);

        var span = _buffer.AsSpan(_length);
        var p = VarInt.Write(span, bodyLength);
        span[p++] = 0; // record attributes: unused in magic 2
        p += VarInt.Write(span[p..], timestampDelta);
        p += VarInt.Write(span[p..], offsetDelta);
        p += VarInt.Write(span[p..], keyLength);
        if (keyLength > 0)
        {
            key.CopyTo(span[p..]);
            p += keyLength;
        }
        p += VarInt.Write(span[p..], valueLength);
        if (valueLength > 0)
        {
            value.CopyTo(span[p..]);
            p += valueLength;
        }
        p += VarInt.Write(span[p..], headerCount);
        encodedHeaders.CopyTo(span[p..]);
        p += encodedHeaders.Length;

        _length += p;
        _count++;
        _lastOffsetDelta = offsetDelta;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
    }

    /// <summary>
    /// Finishes the batch: fills in the header and the CRC. <paramref name="lastOffsetDelta"/> may exceed the last
    /// record's delta (a compacted batch keeps the original batch's offset range). The base offset is left 0;
    /// the log assigns it on append. The span is the builder's own buffer, valid until the next Reset or Add, and
    /// writable so it can go to <c>PartitionLog.Append</c> as is (which stamps the base offset into it).
    /// </summary>
    public Span<byte> Build(int? lastOffsetDelta = null, long baseOffset = 0)
    {
        var span = _buffer.AsSpan(0, _length);
        BinaryPrimitives.WriteInt64BigEndian(span, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.LengthPosition..], _length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.PartitionLeaderEpochPosition..], 0);
        span[RecordBatch.MagicPosition] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(span[RecordBatch.AttributesPosition..], _attributes);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.LastOffsetDeltaPosition..],
            Math.Max(lastOffsetDelta ?? _lastOffsetDelta, _lastOffsetDelta));
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatch.BaseTimestampPosition..], _baseTimestamp);
        // The max timestamp is that of the records in the batch (not the base timestamp, which a compacted batch
        // keeps from a record it dropped).
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatch.MaxTimestampPosition..],
            _count == 0 ? _baseTimestamp : _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatch.ProducerIdPosition..], _producerId);
        BinaryPrimitives.WriteInt16BigEndian(span[RecordBatch.ProducerEpochPosition..], _producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.BaseSequencePosition..], _baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.RecordCountPosition..], _count);
        RecordBatch.UpdateCrc(span);
        return span;
    }

    private void EnsureCapacity(int additional)
    {
        if (_length + additional <= _buffer.Length)
        {
            return;
        }
        var newSize = Math.Max(_buffer.Length * 2, _length + additional);
        Array.Resize(ref _buffer, newSize);
    }
}
