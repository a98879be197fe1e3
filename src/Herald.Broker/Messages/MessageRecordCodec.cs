using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Herald.Primitives.Records;

namespace Herald.Broker.Messages;

/// <summary>
/// A queued message as one record of a Kafka v2 batch in the queue's log (layout in docs/amqp-mapping.md): the routing
/// key is the record key, the body is the value, the timestamp is the publish time, and record headers carry the
/// exchange, the opaque encoded properties and the neutral facts the broker needs after a restart.
/// </summary>
public static class MessageRecordCodec
{
    private const string ExchangeHeader = "x-exchange";
    private const string PropertiesHeader = "x-properties";
    private const string FlagsHeader = "x-flags";
    private const string ExpirationHeader = "x-expiration";
    private const string HeadersHeader = "x-headers";
    private const string DeathsHeader = "x-deaths";
    private const byte PersistentFlag = 1;

    private static readonly byte[] ExchangeKey = Encoding.UTF8.GetBytes(ExchangeHeader);
    private static readonly byte[] PropertiesKey = Encoding.UTF8.GetBytes(PropertiesHeader);
    private static readonly byte[] FlagsKey = Encoding.UTF8.GetBytes(FlagsHeader);
    private static readonly byte[] ExpirationKey = Encoding.UTF8.GetBytes(ExpirationHeader);
    private static readonly byte[] HeadersKey = Encoding.UTF8.GetBytes(HeadersHeader);
    private static readonly byte[] DeathsKey = Encoding.UTF8.GetBytes(DeathsHeader);

    /// <summary>
    /// Adds <paramref name="message"/> to <paramref name="builder"/> as its next record (the caller resets and builds
    /// the batch, so one batch can carry several messages), using <paramref name="scratch"/> (cleared here) for the
    /// record headers and key, so a queue encodes without allocating.
    /// </summary>
    public static void Add(RecordBatchBuilder builder, ArrayBufferWriter<byte> scratch, Message message,
        byte[]? encodedHeaders, byte[]? encodedDeaths)
    {
        var properties = message.Properties;
        scratch.ResetWrittenCount();
        var count = 0;
        WriteHeader(scratch, ExchangeKey, message.Exchange, ref count);
        WriteHeader(scratch, PropertiesKey, properties.Encoded.Span, ref count);
        WriteHeader(scratch, FlagsKey, [properties.Persistent ? PersistentFlag : (byte)0, properties.Priority], ref count);
        if (properties.ExpirationMilliseconds is { } expiration)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, expiration);
            WriteHeader(scratch, ExpirationKey, bytes, ref count);
        }
        if (encodedHeaders is not null)
        {
            WriteHeader(scratch, HeadersKey, encodedHeaders, ref count);
        }
        if (encodedDeaths is not null)
        {
            WriteHeader(scratch, DeathsKey, encodedDeaths, ref count);
        }
        var headersLength = scratch.WrittenCount;
        var keyLength = Encoding.UTF8.GetBytes(message.RoutingKey, scratch.GetSpan(Encoding.UTF8.GetMaxByteCount(message.RoutingKey.Length)));
        scratch.Advance(keyLength);
        var written = scratch.WrittenSpan;
        builder.Add(builder.RecordCount, message.TimestampMilliseconds, written.Slice(headersLength, keyLength), keyIsNull: false,
            message.Body.Span, valueIsNull: false, count, written[..headersLength]);
    }

    /// <summary>The application headers encoded for the record, or null when there are none.</summary>
    public static byte[]? EncodeHeaders(Message message) =>
        message.Properties.Headers is { Count: > 0 } table ? NeutralValue.EncodeTable(table) : null;

    /// <summary>The death history encoded for the record, or null when the message never died.</summary>
    public static byte[]? EncodeDeaths(Message message)
    {
        if (message.Deaths.Count == 0)
        {
            return null;
        }
        var list = new object?[message.Deaths.Count];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = DeathToTable(message.Deaths[i]);
        }
        var table = new Dictionary<string, object?>(StringComparer.Ordinal) { ["deaths"] = list };
        if (message.FirstDeath is { } first)
        {
            table["first"] = DeathToTable(first);
        }
        return NeutralValue.EncodeTable(table);
    }

    /// <summary>Decodes one stored record back into a message; throws <see cref="FormatException"/> when damaged.</summary>
    public static Message Decode(in Record record, long timestampMilliseconds)
    {
        var exchange = "";
        ReadOnlyMemory<byte> properties = ReadOnlyMemory<byte>.Empty;
        var persistent = false;
        byte priority = 0;
        long? expiration = null;
        IReadOnlyDictionary<string, object?>? headers = null;
        IReadOnlyList<DeathRecord>? deaths = null;
        DeathRecord? firstDeath = null;
        var remaining = record.Headers;
        for (var i = 0; i < record.HeaderCount; i++)
        {
            var key = ReadBytes(ref remaining);
            var value = ReadBytes(ref remaining);
            if (key.SequenceEqual(ExchangeKey))
            {
                exchange = Encoding.UTF8.GetString(value);
            }
            else if (key.SequenceEqual(PropertiesKey))
            {
                properties = value.ToArray();
            }
            else if (key.SequenceEqual(FlagsKey) && value.Length == 2)
            {
                persistent = (value[0] & PersistentFlag) != 0;
                priority = value[1];
            }
            else if (key.SequenceEqual(ExpirationKey) && value.Length == 8)
            {
                expiration = BinaryPrimitives.ReadInt64BigEndian(value);
            }
            else if (key.SequenceEqual(HeadersKey))
            {
                headers = NeutralValue.DecodeTable(value);
            }
            else if (key.SequenceEqual(DeathsKey))
            {
                var table = NeutralValue.DecodeTable(value);
                deaths = ((IReadOnlyList<object?>)table["deaths"]!).Select(d => TableToDeath((IReadOnlyDictionary<string, object?>)d!)).ToArray();
                firstDeath = table.TryGetValue("first", out var first) ? TableToDeath((IReadOnlyDictionary<string, object?>)first!) : null;
            }
        }
        var props = new MessageProperties(properties, persistent, priority, expiration, headers);
        return new Message(exchange, Encoding.UTF8.GetString(record.Key), record.Value.ToArray(), props,
            timestampMilliseconds, deaths, firstDeath);
    }

    /// <summary>
    /// The facts a queue orders and expires by (persistent, priority, per-message TTL), read from the record headers
    /// without decoding the rest: what recovery keeps for a message it leaves paged out.
    /// </summary>
    public static StoredMessageFacts ReadFacts(in Record record)
    {
        var persistent = false;
        byte priority = 0;
        long? expiration = null;
        var remaining = record.Headers;
        for (var i = 0; i < record.HeaderCount; i++)
        {
            var key = ReadBytes(ref remaining);
            var value = ReadBytes(ref remaining);
            if (key.SequenceEqual(FlagsKey) && value.Length == 2)
            {
                persistent = (value[0] & PersistentFlag) != 0;
                priority = value[1];
            }
            else if (key.SequenceEqual(ExpirationKey) && value.Length == 8)
            {
                expiration = BinaryPrimitives.ReadInt64BigEndian(value);
            }
        }
        return new StoredMessageFacts(persistent, priority, expiration);
    }

    private static Dictionary<string, object?> DeathToTable(DeathRecord death) => new(StringComparer.Ordinal)
    {
        ["queue"] = death.Queue,
        ["reason"] = (long)death.Reason,
        ["exchange"] = death.Exchange,
        ["routing-keys"] = death.RoutingKeys.Cast<object?>().ToArray(),
        ["count"] = death.Count,
        ["time"] = death.Time,
        ["original-expiration"] = death.OriginalExpirationMilliseconds,
    };

    private static DeathRecord TableToDeath(IReadOnlyDictionary<string, object?> table) => new(
        (string)table["queue"]!, (DeathReason)(long)table["reason"]!, (string)table["exchange"]!,
        ((IReadOnlyList<object?>)table["routing-keys"]!).Select(k => (string)k!).ToArray(), (long)table["count"]!,
        (DateTimeOffset)table["time"]!, table["original-expiration"] as long?);

    private static void WriteHeader(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ref int count)
    {
        var span = writer.GetSpan(2 * VarInt.MaxVarIntBytes + key.Length + value.Length);
        var p = VarInt.Write(span, key.Length);
        key.CopyTo(span[p..]);
        p += key.Length;
        p += VarInt.Write(span[p..], value.Length);
        value.CopyTo(span[p..]);
        writer.Advance(p + value.Length);
        count++;
    }

    private static void WriteHeader(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> key, string value, ref int count)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = writer.GetSpan(2 * VarInt.MaxVarIntBytes + key.Length + maxBytes);
        var p = VarInt.Write(span, key.Length);
        key.CopyTo(span[p..]);
        p += key.Length;
        var length = Encoding.UTF8.GetByteCount(value);
        p += VarInt.Write(span[p..], length);
        p += Encoding.UTF8.GetBytes(value, span[p..]);
        writer.Advance(p);
        count++;
    }

    private static ReadOnlySpan<byte> ReadBytes(ref ReadOnlySpan<byte> remaining)
    {
        if (!VarInt.TryReadInt(remaining, out var length, out var n) || length > remaining.Length - n)
        {
            throw new FormatException("A stored message's record header is truncated.");
        }
        if (length < 0)
        {
            remaining = remaining[n..];
            return default;
        }
        var value = remaining.Slice(n, length);
        remaining = remaining[(n + length)..];
        return value;
    }
}

/// <summary>What <see cref="MessageRecordCodec.ReadFacts"/> reads from a stored message's record headers.</summary>
public readonly record struct StoredMessageFacts(bool Persistent, byte Priority, long? ExpirationMilliseconds);
