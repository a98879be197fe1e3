using System.Buffers.Binary;

namespace Herald.Broker.Streams;

/// <summary>
/// Key and value layouts of the records in <see cref="StreamStateLog"/> (big-endian integers; a "name" is a u32
/// length and the bytes). Every key starts with a kind byte and the stream's topic id, so deleting a stream's topic
/// orphans all its records at once: replay ignores ids with no topic. Group-scoped keys carry the group's
/// incarnation (random, chosen at XGROUP CREATE), so a destroyed and recreated group never inherits old state.
/// <list type="bullet">
/// <item><c>S id</c> → stream: version, Redis key (name), last id (16), entries added (8), max deleted id (16),
/// first offset (8: the logical log start after trims), as-of offset (8: entries at or after it were added later and
/// are counted from the log at load).</item>
/// <item><c>D id offset(8)</c> → a deleted entry (XDEL): one byte.</item>
/// <item><c>G id group(name)</c> → incarnation (8), last delivered id (16), entries read (8, -1 unknown).</item>
/// <item><c>C id incarnation(8) group(name) consumer(rest)</c> → seen time (8), active time (8, -1 never).</item>
/// <item><c>P id incarnation(8) group(name) entry id(16)</c> → delivery time (8), delivery count (8), consumer (rest).</item>
/// </list>
/// Stateless.
/// </summary>
internal static class StreamStateRecords
{
    public const byte Stream = (byte)'S';
    public const byte Deleted = (byte)'D';
    public const byte Group = (byte)'G';
    public const byte Consumer = (byte)'C';
    public const byte Pending = (byte)'P';

    private const byte Version = 1;

    public static byte[] StreamKey(Guid topic) => Prefix(Stream, topic, 0);

    public static byte[] DeletedKey(Guid topic, long offset)
    {
        var key = Prefix(Deleted, topic, 8);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(17), offset);
        return key;
    }

    public static byte[] GroupKey(Guid topic, byte[] group)
    {
        var key = Prefix(Group, topic, 4 + group.Length);
        WriteName(key.AsSpan(17), group);
        return key;
    }

    public static byte[] ConsumerKey(Guid topic, long incarnation, byte[] group, byte[] consumer)
    {
        var key = Prefix(Consumer, topic, 8 + 4 + group.Length + consumer.Length);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(17), incarnation);
        var p = 25 + WriteName(key.AsSpan(25), group);
        consumer.CopyTo(key, p);
        return key;
    }

    public static byte[] PendingKey(Guid topic, long incarnation, byte[] group, StreamId id)
    {
        var key = Prefix(Pending, topic, 8 + 4 + group.Length + 16);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(17), incarnation);
        var p = 25 + WriteName(key.AsSpan(25), group);
        id.WriteBinary(key.AsSpan(p));
        return key;
    }

    public static byte[] StreamValue(StreamMeta meta)
    {
        var value = new byte[1 + 4 + meta.Key.Length + 16 + 8 + 16 + 8 + 8];
        value[0] = Version;
        var p = 1 + WriteName(value.AsSpan(1), meta.Key);
        meta.LastId.WriteBinary(value.AsSpan(p));
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(p + 16), meta.EntriesAdded);
        meta.MaxDeletedId.WriteBinary(value.AsSpan(p + 24));
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(p + 40), meta.FirstOffset);
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(p + 48), meta.AsOfOffset);
        return value;
    }

    public static StreamMeta? ReadStreamValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 5 || value[0] != Version)
        {
            return null;
        }
        var keyLength = BinaryPrimitives.ReadUInt32BigEndian(value[1..]);
        if (keyLength > (uint)(value.Length - 5))
        {
            return null;
        }
        var p = 5 + (int)keyLength;
        if (value.Length != p + 56)
        {
            return null;
        }
        return new StreamMeta(value.Slice(5, (int)keyLength).ToArray(), StreamId.ReadBinary(value[p..]),
            BinaryPrimitives.ReadInt64BigEndian(value[(p + 16)..]), StreamId.ReadBinary(value[(p + 24)..]),
            BinaryPrimitives.ReadInt64BigEndian(value[(p + 40)..]), BinaryPrimitives.ReadInt64BigEndian(value[(p + 48)..]));
    }

    public static byte[] GroupValue(long incarnation, StreamId lastDelivered, long entriesRead)
    {
        var value = new byte[32];
        BinaryPrimitives.WriteInt64BigEndian(value, incarnation);
        lastDelivered.WriteBinary(value.AsSpan(8));
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(24), entriesRead);
        return value;
    }

    public static byte[] ConsumerValue(long seenTime, long activeTime)
    {
        var value = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(value, seenTime);
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(8), activeTime);
        return value;
    }

    public static byte[] PendingValue(long deliveryTime, long deliveryCount, byte[] consumer)
    {
        var value = new byte[16 + consumer.Length];
        BinaryPrimitives.WriteInt64BigEndian(value, deliveryTime);
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(8), deliveryCount);
        consumer.CopyTo(value, 16);
        return value;
    }

    /// <summary>The kind and topic id of a key, or false for a key too short to be one of ours.</summary>
    public static bool TryReadPrefix(ReadOnlySpan<byte> key, out byte kind, out Guid topic)
    {
        kind = 0;
        topic = Guid.Empty;
        if (key.Length < 17)
        {
            return false;
        }
        kind = key[0];
        topic = new Guid(key.Slice(1, 16), bigEndian: true);
        return true;
    }

    /// <summary>Splits the rest of a G, C or P key: incarnation (C and P), group name and what follows it.</summary>
    public static bool TryReadGroupScoped(ReadOnlySpan<byte> key, bool hasIncarnation, out long incarnation, out byte[] group, out ReadOnlySpan<byte> rest)
    {
        incarnation = 0;
        group = [];
        rest = default;
        var p = 17;
        if (hasIncarnation)
        {
            if (key.Length < p + 8)
            {
                return false;
            }
            incarnation = BinaryPrimitives.ReadInt64BigEndian(key[p..]);
            p += 8;
        }
        if (key.Length < p + 4)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(key[p..]);
        if (length > (uint)(key.Length - p - 4))
        {
            return false;
        }
        group = key.Slice(p + 4, (int)length).ToArray();
        rest = key[(p + 4 + (int)length)..];
        return true;
    }

    private static byte[] Prefix(byte kind, Guid topic, int extra)
    {
        var key = new byte[17 + extra];
        key[0] = kind;
        topic.TryWriteBytes(key.AsSpan(1), bigEndian: true, out _);
        return key;
    }

    private static int WriteName(Span<byte> destination, byte[] name)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)name.Length);
        name.CopyTo(destination[4..]);
        return 4 + name.Length;
    }
}

/// <summary>The persisted facts of a stream beyond its entries (see <see cref="StreamStateRecords"/>).</summary>
internal sealed record StreamMeta(byte[] Key, StreamId LastId, long EntriesAdded, StreamId MaxDeletedId, long FirstOffset, long AsOfOffset);
