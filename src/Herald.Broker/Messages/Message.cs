namespace Herald.Broker.Messages;

/// <summary>
/// The few facts about a message the broker itself acts on, plus the publishing protocol's own encoding of all its
/// properties, kept opaque so a consumer of the same protocol gets back exactly the bytes that were published
/// (DESIGN.md section 3; docs/amqp-mapping.md).
/// </summary>
/// <param name="Encoded">The front end's encoding of every property (for AMQP: the content header's property flags and list).</param>
/// <param name="Persistent">Survives a restart in a durable queue (AMQP delivery-mode 2).</param>
/// <param name="Priority">0-255; queues with x-max-priority order by it.</param>
/// <param name="ExpirationMilliseconds">Per-message TTL (AMQP expiration), or null.</param>
/// <param name="Headers">Application headers as neutral values, for headers-exchange routing; null when none.</param>
public sealed record MessageProperties(
    ReadOnlyMemory<byte> Encoded, bool Persistent, byte Priority, long? ExpirationMilliseconds,
    IReadOnlyDictionary<string, object?>? Headers)
{
    public static readonly MessageProperties Empty = new(ReadOnlyMemory<byte>.Empty, false, 0, null, null);
}

/// <summary>
/// A published message as queues hold it: immutable and shared by every queue it was routed to (a fan-out to ten
/// queues keeps one copy in memory; each queue's log stores its own record).
/// </summary>
public sealed class Message
{
    public Message(string exchange, string routingKey, ReadOnlyMemory<byte> body, MessageProperties properties,
        long timestampMilliseconds, IReadOnlyList<DeathRecord>? deaths = null, DeathRecord? firstDeath = null)
    {
        Exchange = exchange;
        RoutingKey = routingKey;
        Body = body;
        Properties = properties;
        TimestampMilliseconds = timestampMilliseconds;
        Deaths = deaths ?? [];
        FirstDeath = firstDeath;
    }

    /// <summary>The exchange it was published to (for a dead-lettered copy: the one it was dead-lettered through).</summary>
    public string Exchange { get; }

    public string RoutingKey { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public MessageProperties Properties { get; }

    /// <summary>When the broker accepted it (Unix milliseconds).</summary>
    public long TimestampMilliseconds { get; }

    /// <summary>
    /// Dead-lettering history, most recent first, one entry per (queue, reason) with a count (RabbitMQ's x-death).
    /// Empty for a message never dead-lettered.
    /// </summary>
    public IReadOnlyList<DeathRecord> Deaths { get; }

    /// <summary>The first dead-lettering, which never changes afterwards (RabbitMQ's x-first-death-*).</summary>
    public DeathRecord? FirstDeath { get; }

    /// <summary>Bytes counted against x-max-length-bytes (RabbitMQ counts bodies only).</summary>
    public long BodySize => Body.Length;
}

/// <summary>Why a message was dead-lettered; the names are RabbitMQ's x-death reasons.</summary>
public enum DeathReason
{
    Rejected,
    Expired,
    MaxLength,
    DeliveryLimit,
}

/// <summary>One x-death entry: how often a message died in <paramref name="Queue"/> for <paramref name="Reason"/>.</summary>
public sealed record DeathRecord(
    string Queue, DeathReason Reason, string Exchange, IReadOnlyList<string> RoutingKeys, long Count,
    DateTimeOffset Time, long? OriginalExpirationMilliseconds)
{
    /// <summary>The reason as RabbitMQ spells it in x-death.</summary>
    public string ReasonName => Reason switch
    {
        DeathReason.Rejected => "rejected",
        DeathReason.Expired => "expired",
        DeathReason.MaxLength => "maxlen",
        _ => "delivery_limit",
    };
}
