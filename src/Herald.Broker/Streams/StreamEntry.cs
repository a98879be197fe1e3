using Herald.Primitives.Records;

namespace Herald.Broker.Streams;

/// <summary>
/// One stream entry as readers get it: its ID and its field/value pairs, flattened (field, value, field, value...).
/// <see cref="Fields"/> is null for an entry a consumer's pending list still names but that was deleted or trimmed
/// (XREADGROUP history and XCLAIM report those as an ID with a nil body).
/// </summary>
public readonly record struct StreamEntry(StreamId Id, byte[][]? Fields);

/// <summary>
/// How an entry is stored as a Kafka record (DESIGN.md section 3; documented in docs/storage-format.md): the record
/// key is the entry ID as text (<c>ms-seq</c>, so a Kafka consumer sees it), the timestamp is the ID's milliseconds
/// (clamped to what a Kafka timestamp can hold), and the value is the field/value pairs back to back, each an
/// unsigned LEB128 length followed by the bytes: <c>count, len, field, len, value, ...</c> where count is the number
/// of pairs. Stateless.
/// </summary>
public static class StreamEntryCodec
{
    /// <summary>Bytes of the value encoding <paramref name="fieldsAndValues"/> (an even number of items).</summary>
    public static int ValueSize(IReadOnlyList<ReadOnlyMemory<byte>> fieldsAndValues)
    {
        var size = VarInt.SizeOfUnsigned((ulong)(fieldsAndValues.Count / 2));
        for (var i = 0; i < fieldsAndValues.Count; i++)
        {
            var length = fieldsAndValues[i].Length;
            size += VarInt.SizeOfUnsigned((ulong)length) + length;
        }
        return size;
    }

    /// <summary>Writes the value for <paramref name="fieldsAndValues"/> into exactly <see cref="ValueSize"/> bytes.</summary>
    public static void EncodeValue(IReadOnlyList<ReadOnlyMemory<byte>> fieldsAndValues, Span<byte> destination)
    {
        var p = VarInt.WriteUnsigned(destination, (ulong)(fieldsAndValues.Count / 2));
        for (var i = 0; i < fieldsAndValues.Count; i++)
        {
            var item = fieldsAndValues[i].Span;
            p += VarInt.WriteUnsigned(destination[p..], (ulong)item.Length);
            item.CopyTo(destination[p..]);
            p += item.Length;
        }
    }

    /// <summary>The flattened pairs of a stored value, or null when the bytes are not in this format.</summary>
    public static byte[][]? DecodeValue(ReadOnlySpan<byte> value)
    {
        if (!VarInt.TryReadUnsigned(value, 5, out var pairs, out var p) || pairs > (ulong)value.Length)
        {
            return null;
        }
        var items = new byte[(int)pairs * 2][];
        for (var i = 0; i < items.Length; i++)
        {
            if (!VarInt.TryReadUnsigned(value[p..], 5, out var length, out var read) || length > (ulong)(value.Length - p - read))
            {
                return null;
            }
            p += read;
            items[i] = value.Slice(p, (int)length).ToArray();
            p += (int)length;
        }
        return p == value.Length ? items : null;
    }

    /// <summary>The Kafka timestamp for an entry: its milliseconds, which fit any real clock.</summary>
    public static long Timestamp(StreamId id) => id.Ms > long.MaxValue ? long.MaxValue : (long)id.Ms;
}
