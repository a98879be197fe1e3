using Herald.Broker.Messages;

namespace Herald.Broker.Queues;

/// <summary>
/// What a front end implements to receive deliveries: one per protocol channel. Calls arrive from broker threads,
/// serialized per <see cref="DeliverySession"/>, and must not block: a front end queues the delivery for its writer.
/// </summary>
public interface IDeliveryTarget
{
    /// <summary>A message for <paramref name="consumer"/>; delivery tags rise in call order within a session.</summary>
    void OnDelivery(QueueConsumer consumer, in Delivery delivery);

    /// <summary>The broker cancelled <paramref name="consumer"/> (its queue was deleted): AMQP basic.cancel to the client.</summary>
    void OnCancelled(QueueConsumer consumer);
}

/// <summary>One delivered message as the front end sees it.</summary>
/// <param name="DeliveryTag">Session-wide, rising from 1; what ack/nack/reject name.</param>
/// <param name="Redelivered">It was delivered before (returned by nack, reject, recover or a closed channel).</param>
/// <param name="MessageCount">Ready messages left in the queue (basic.get-ok's message-count).</param>
public readonly record struct Delivery(long DeliveryTag, bool Redelivered, Message Message, string QueueName, long MessageCount);

/// <summary>A subscription to a queue (AMQP basic.consume).</summary>
public sealed class QueueConsumer
{
    internal QueueConsumer(Queue queue, DeliverySession session, string tag, bool noAck, bool exclusive, int priority,
        int prefetchCount, IReadOnlyDictionary<string, object?> arguments)
    {
        Queue = queue;
        Session = session;
        Tag = tag;
        NoAck = noAck;
        Exclusive = exclusive;
        Priority = priority;
        PrefetchCount = prefetchCount;
        Arguments = arguments;
    }

    public Queue Queue { get; }

    public DeliverySession Session { get; }

    public string Tag { get; }

    public bool NoAck { get; }

    public bool Exclusive { get; }

    /// <summary>Higher-priority consumers get messages while they have credit (x-priority).</summary>
    public int Priority { get; }

    /// <summary>Unacknowledged deliveries allowed to this consumer; 0 means no limit.</summary>
    public int PrefetchCount { get; }

    public IReadOnlyDictionary<string, object?> Arguments { get; }

    /// <summary>Consumer-specific state a front end keeps with it (e.g. the AMQP channel).</summary>
    public object? State { get; set; }

    private int _unacked;

    internal int Unacked => Volatile.Read(ref _unacked);

    internal bool IsCancelled { get; set; }

    internal bool HasOwnCredit => NoAck || PrefetchCount == 0 || Volatile.Read(ref _unacked) < PrefetchCount;

    internal void AddUnacked() => Interlocked.Increment(ref _unacked);

    internal void RemoveUnacked() => Interlocked.Decrement(ref _unacked);
}
