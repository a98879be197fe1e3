using System.Text;
using Herald.Broker.Messages;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// The basic content header's properties between the wire and the broker. A published message keeps its property
/// bytes exactly as the client sent them (opaque to the broker: docs/amqp-mapping.md); only the facts the broker acts
/// on are decoded. On the way out the bytes are sent as they are, except for dead-lettered messages, whose
/// properties are re-rendered with RabbitMQ's x-death headers.
/// </summary>
internal static class ContentProperties
{
    /// <summary>The neutral properties of a publish, from the raw property bytes (flags word onward).</summary>
    public static MessageProperties ToNeutral(ReadOnlyMemory<byte> raw, in BasicProperties decoded) => new(
        raw,
        decoded.DeliveryMode == 2,
        decoded.Priority ?? 0,
        AmqpValues.ParseExpiration(decoded.Expiration),
        decoded.Headers is { Count: > 0 } headers ? AmqpValues.ToNeutral(headers) : null);

    public static BasicProperties Decode(ReadOnlySpan<byte> raw)
    {
        var reader = new AmqpReader(raw);
        return BasicProperties.Read(ref reader);
    }

    public static byte[] Encode(in BasicProperties properties)
    {
        var bytes = new byte[properties.GetSize()];
        var writer = new AmqpWriter(bytes);
        properties.Write(ref writer);
        return bytes;
    }

    /// <summary>
    /// The property bytes to send with <paramref name="message"/>: the published bytes, or for a dead-lettered
    /// message those bytes re-rendered without <c>expiration</c> and with <c>x-death</c>, <c>x-first-death-*</c>
    /// and <c>x-last-death-*</c> headers as RabbitMQ 3.13 writes them.
    /// </summary>
    public static ReadOnlyMemory<byte> ForDelivery(Message message)
    {
        if (message.Deaths.Count == 0)
        {
            return message.Properties.Encoded;
        }
        var properties = Decode(message.Properties.Encoded.Span);
        var headers = new AmqpTable();
        if (properties.Headers is { } existing)
        {
            foreach (var (key, value) in existing)
            {
                if (!key.StartsWith("x-death", StringComparison.Ordinal) && !key.StartsWith("x-first-death-", StringComparison.Ordinal) &&
                    !key.StartsWith("x-last-death-", StringComparison.Ordinal))
                {
                    headers.Add(key, value);
                }
            }
        }
        var deaths = new List<object?>(message.Deaths.Count);
        foreach (var death in message.Deaths)
        {
            deaths.Add(DeathTable(death));
        }
        headers.Add("x-death", deaths);
        if (message.FirstDeath is { } first)
        {
            headers.Add("x-first-death-exchange", Bytes(first.Exchange));
            headers.Add("x-first-death-queue", Bytes(first.Queue));
            headers.Add("x-first-death-reason", Bytes(first.ReasonName));
        }
        var last = message.Deaths[0];
        headers.Add("x-last-death-exchange", Bytes(last.Exchange));
        headers.Add("x-last-death-queue", Bytes(last.Queue));
        headers.Add("x-last-death-reason", Bytes(last.ReasonName));
        return Encode(properties with { Headers = headers, Expiration = null });
    }

    private static AmqpTable DeathTable(DeathRecord death)
    {
        var table = new AmqpTable()
            .Add("count", death.Count)
            .Add("reason", Bytes(death.ReasonName))
            .Add("queue", Bytes(death.Queue))
            .Add("time", new AmqpTimestamp((ulong)death.Time.ToUnixTimeSeconds()))
            .Add("exchange", Bytes(death.Exchange))
            .Add("routing-keys", death.RoutingKeys.Select(k => (object?)Bytes(k)).ToList());
        if (death.OriginalExpirationMilliseconds is { } expiration)
        {
            table.Add("original-expiration", Bytes(expiration.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return table;
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
