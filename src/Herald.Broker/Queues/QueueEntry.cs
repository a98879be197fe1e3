using Herald.Broker.Messages;

namespace Herald.Broker.Queues;

/// <summary>
/// One message in one queue: its id (the log offset for a durable queue, a counter otherwise), when it expires,
/// how often it came back, and while delivered, which consumer and delivery session hold it.
/// </summary>
internal sealed class QueueEntry(Queue queue, long id, Message message, int level, long expiresAtMilliseconds)
{
    public Queue Queue { get; } = queue;

    public long Id { get; } = id;

    public Message Message { get; } = message;

    /// <summary>The priority level it is kept in (0 for a queue without priorities).</summary>
    public int Level { get; } = level;

    /// <summary>Unix milliseconds after which it is dead (long.MaxValue: never).</summary>
    public long ExpiresAtMilliseconds { get; } = expiresAtMilliseconds;

    /// <summary>Times it was returned to the queue (nack/reject with requeue, channel closed).</summary>
    public long ReturnCount { get; set; }

    public bool Redelivered { get; set; }

    public QueueConsumer? Consumer { get; set; }

    public DeliverySession? Session { get; set; }

    public long DeliveryTag { get; set; }

    /// <summary>Delivered without acknowledgement (no-ack consumer or basic.get no-ack): settled on delivery.</summary>
    public bool AutoAck { get; set; }
}
