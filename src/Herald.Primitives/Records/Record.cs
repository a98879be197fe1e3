namespace Herald.Primitives.Records;

/// <summary>
/// One record inside an uncompressed v2 batch body, as a view over the batch's bytes. Wire layout:
/// <code>
/// length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
/// keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
/// headerCount varint | headers: (keyLength varint | key | valueLength varint | value)*
/// </code>
/// </summary>
public readonly ref struct Record
{
    public Record(long timestampDelta, int offsetDelta, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, ReadOnlySpan<byte> headers)
    {
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        Headers = headers;
    }

    public long TimestampDelta { get; }
    public int OffsetDelta { get; }
    public ReadOnlySpan<byte> Key { get; }
    public bool KeyIsNull { get; }
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>A null value marks a tombstone in a compacted log.</summary>
    public bool ValueIsNull { get; }
    public int HeaderCount { get; }

    /// <summary>The encoded headers, as they appear on the wire (for copying without decoding).</summary>
    public ReadOnlySpan<byte> Headers { get; }
}

/// <summary>
/// Iterates the records of an uncompressed batch body (the bytes after <see cref="RecordBatch.HeaderSize"/>).
/// <see cref="TryReadNext"/> returns false at the end and sets <see cref="IsMalformed"/> when the bytes do not
/// parse; it never throws on bad input.
/// </summary>
public ref struct RecordReader
{
    private ReadOnlySpan<byte> _remaining;

    public RecordReader(ReadOnlySpan<byte> records)
    {
        _remaining = records;
        IsMalformed = false;
    }

    public bool IsMalformed { get; private set; }

    public bool TryReadNext(out Record record)
    {
        record = default;
        if (_remaining.IsEmpty)
        {
            return false;
        }
        if (!VarInt.TryReadInt(_remaining, out var length, out var lengthBytes) || length < 0 ||
            length > _remaining.Length - lengthBytes)
        {
            IsMalformed = true;
            return false;
        }
        var body = _remaining.Slice(lengthBytes, length);
        _remaining = _remaining[(lengthBytes + length)..];
        if (!TryParseBody(body, out record))
        {
            IsMalformed = true;
            return false;
        }
        return true;
    }

    private static bool TryParseBody(ReadOnlySpan<byte> body, out Record record)
    {
        record = default;
        if (body.IsEmpty)
        {
            return false;
        }
        var p = 1; // attributes byte: unused by magic 2
        if (!VarInt.TryReadLong(body[p..], out var timestampDelta, out var n)) return false;
        p += n;
        if (!VarInt.TryReadInt(body[p..], out var offsetDelta, out n)) return false;
        p += n;
        var keyStart = p;
        if (!TryReadBytes(body, ref p, out var keyLength)) return false;
        var valueStart = p;
        if (!TryReadBytes(body, ref p, out var valueLength)) return false;
        if (!VarInt.TryReadInt(body[p..], out var headerCount, out n) || headerCount < 0) return false;
        p += n;
        var headersStart = p;
        for (var i = 0; i < headerCount; i++)
        {
            if (!TryReadBytes(body, ref p, out var headerKeyLength) || headerKeyLength < 0) return false;
            if (!TryReadBytes(body, ref p, out _)) return false;
        }
        if (p != body.Length) return false;
        record = new Record(timestampDelta, offsetDelta, Payload(body, keyStart, keyLength), keyLength < 0,
            Payload(body, valueStart, valueLength), valueLength < 0, headerCount, body[headersStart..p]);
        return true;
    }

    /// <summary>Skips a length-prefixed byte string; <paramref name="length"/> is -1 for null.</summary>
    private static bool TryReadBytes(ReadOnlySpan<byte> body, ref int position, out int length)
    {
        if (!VarInt.TryReadInt(body[position..], out length, out var n)) return false;
        position += n;
        if (length == -1)
        {
            return true;
        }
        if (length < 0 || length > body.Length - position) return false;
        position += length;
        return true;
    }

    /// <summary>The bytes of a string whose length prefix starts at <paramref name="prefixStart"/>.</summary>
    private static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> body, int prefixStart, int length)
    {
        if (length <= 0)
        {
            return default;
        }
        VarInt.TryReadInt(body[prefixStart..], out _, out var n);
        return body.Slice(prefixStart + n, length);
    }
}
