using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;

namespace Herald.Broker.Queues;

/// <summary>
/// The delivery state of one protocol channel (an AMQP channel): its consumers, the delivery tags it handed out and
/// the messages still unacknowledged under them, and its prefetch limits. Ack, nack, reject and recover name
/// delivery tags of this session; when the session closes, every unacknowledged message returns to its queue in
/// id order, marked redelivered.
///
/// Tags are consecutive, so unacknowledged entries live in a window indexed by <c>tag - base</c> (no per-delivery
/// map node); settled slots are nulled and the window's head is trimmed as it empties.
/// Thread-safety: all members are safe to call from any thread; deliveries are handed to the
/// <see cref="IDeliveryTarget"/> under the session's lock, so tags reach the front end in rising order.
/// </summary>
public sealed class DeliverySession
{
    private const int TrimThreshold = 1024;

    private readonly object _lock = new();
    private readonly VirtualHost _host;
    private readonly IDeliveryTarget _target;
    private readonly Dictionary<string, QueueConsumer> _consumers = new(StringComparer.Ordinal);
    private readonly List<QueueEntry?> _window = [];
    private long _windowBase = 1;
    private int _head;
    private long _nextTag;
    private int _unacked;
    private int _prefetchCount;
    private bool _closed;
    private volatile bool _paused;

    internal DeliverySession(VirtualHost host, object? connection, IDeliveryTarget target)
    {
        _host = host;
        Connection = connection;
        _target = target;
    }

    /// <summary>The connection the session belongs to (owner of exclusive queues).</summary>
    public object? Connection { get; }

    /// <summary>Prefetch applied to consumers created from now on (basic.qos global=false; RabbitMQ 3.3+).</summary>
    public int ConsumerPrefetchCount { get; private set; }

    /// <summary>Unacknowledged deliveries allowed across the session (basic.qos global=true); 0: no limit.</summary>
    public int PrefetchCount => Volatile.Read(ref _prefetchCount);

    public int ConsumerCount
    {
        get
        {
            lock (_lock)
            {
                return _consumers.Count;
            }
        }
    }

    internal bool HasCredit
    {
        get
        {
            var limit = Volatile.Read(ref _prefetchCount);
            return limit == 0 || Volatile.Read(ref _unacked) < limit;
        }
    }

    internal void AddUnacked() => Interlocked.Increment(ref _unacked);

    /// <summary>While true, queues deliver nothing to this session's consumers, whatever their prefetch.</summary>
    internal bool IsPaused => _paused;

    /// <summary>
    /// Stops deliveries to this session's consumers until <see cref="Resume"/>: the front end cannot write to its
    /// client as fast as the queues deliver (a client that stops reading), and no-ack consumers without prefetch
    /// would otherwise make deliveries pile up in memory without bound. Deliveries already handed over stay.
    /// </summary>
    public void Pause() => _paused = true;

    /// <summary>Deliveries may flow again: the queues this session consumes from dispatch at once.</summary>
    public void Resume()
    {
        _paused = false;
        DispatchAll();
    }

    /// <summary>basic.qos as RabbitMQ interprets it: global=false limits each new consumer, global=true the channel.</summary>
    public void SetPrefetch(int prefetchCount, bool global)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);
        if (global)
        {
            Volatile.Write(ref _prefetchCount, prefetchCount);
            DispatchAll(); // a raised limit may let deliveries through
        }
        else
        {
            ConsumerPrefetchCount = prefetchCount;
        }
    }

    /// <summary>
    /// Subscribes to a queue (basic.consume). An empty tag gets a generated <c>amq.ctag-…</c> one. Arguments may carry
    /// <c>x-priority</c>. Throws <see cref="MessagingException"/>: NotFound, ResourceLocked (another connection's
    /// exclusive queue), AccessRefused (exclusive conflicts), NotAllowed (tag in use on this session).
    /// <paramref name="registered"/> runs once the consumer exists and before its first delivery: where a front end
    /// sends its consume-ok, which must precede every delivery.
    /// </summary>
    public QueueConsumer Consume(string queueName, string tag, bool noAck, bool exclusive, IReadOnlyDictionary<string, object?> arguments,
        Action<QueueConsumer>? registered = null)
    {
        var queue = _host.GetQueue(queueName, Connection);
        if (tag.Length == 0)
        {
            tag = "amq.ctag-" + VirtualHost.RandomName();
        }
        var priority = arguments.TryGetValue("x-priority", out var value) && NeutralValue.TryGetInteger(value, out var p) ? (int)p : 0;
        lock (_lock)
        {
            if (_closed)
            {
                throw new MessagingException(MessagingError.CommandInvalid, "the channel is closed");
            }
            if (_consumers.ContainsKey(tag))
            {
                throw new MessagingException(MessagingError.NotAllowed, $"attempt to reuse consumer tag '{tag}'");
            }
            // Registered before the queue may deliver, so a delivery never arrives for an unknown tag.
            _consumers[tag] = null!;
        }
        try
        {
            var consumer = queue.AddConsumer(this, tag, noAck, exclusive, priority, ConsumerPrefetchCount, arguments, Connection,
                added =>
                {
                    lock (_lock)
                    {
                        _consumers[added.Tag] = added;
                    }
                    registered?.Invoke(added);
                });
            return consumer;
        }
        catch
        {
            lock (_lock)
            {
                _consumers.Remove(tag);
            }
            throw;
        }
    }

    /// <summary>Ends a subscription (basic.cancel); false when the tag is unknown (AMQP still answers cancel-ok).</summary>
    public bool Cancel(string tag)
    {
        QueueConsumer? consumer;
        lock (_lock)
        {
            if (!_consumers.Remove(tag, out consumer) || consumer is null)
            {
                return false;
            }
        }
        consumer.Queue.RemoveConsumer(consumer);
        return true;
    }

    /// <summary>
    /// basic.get: the next ready message of the queue, or null when it is empty. Without <paramref name="noAck"/>
    /// the message stays unacknowledged under the returned tag.
    /// </summary>
    public Delivery? Get(string queueName, bool noAck)
    {
        var queue = _host.GetQueue(queueName, Connection);
        var entry = queue.TakeForGet(out var remaining);
        if (entry is null)
        {
            return null;
        }
        Delivery delivery;
        lock (_lock)
        {
            var tag = ++_nextTag;
            entry.Session = this;
            entry.DeliveryTag = tag;
            entry.AutoAck = noAck;
            _window.Add(noAck ? null : entry);
            delivery = new Delivery(tag, entry.Redelivered, entry.Message, queue.Name, remaining);
        }
        if (noAck)
        {
            queue.Acknowledge([entry]);
        }
        return delivery;
    }

    /// <summary>basic.ack; tag 0 with <paramref name="multiple"/> acknowledges everything outstanding.</summary>
    public void Ack(long deliveryTag, bool multiple)
    {
        var taken = Take(deliveryTag, multiple);
        ForEachQueue(taken, static (queue, entries) => queue.Acknowledge(entries));
        DispatchAll();
    }

    /// <summary>basic.nack / basic.reject: requeue, or dead-letter with reason rejected (dropped without a DLX).</summary>
    public void Nack(long deliveryTag, bool multiple, bool requeue)
    {
        var taken = Take(deliveryTag, multiple);
        if (requeue)
        {
            ForEachQueue(taken, static (queue, entries) => queue.Return(entries, countAsReturn: true));
        }
        else
        {
            ForEachQueue(taken, static (queue, entries) => queue.Reject(entries));
        }
        DispatchAll();
    }

    /// <summary>basic.recover: every unacknowledged message returns to its queue and is redelivered.</summary>
    public void Recover()
    {
        List<QueueEntry> all;
        lock (_lock)
        {
            all = TakeAllLocked();
        }
        ForEachQueue(all, static (queue, entries) => queue.Return(entries, countAsReturn: true));
        DispatchAll();
    }

    /// <summary>
    /// The channel closed: consumers end (without cancel notifications) and every unacknowledged message returns to
    /// its queue in id order, redelivered. Idempotent.
    /// </summary>
    public void Close()
    {
        List<QueueEntry> all;
        QueueConsumer[] consumers;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            consumers = _consumers.Values.Where(c => c is not null).ToArray();
            _consumers.Clear();
            all = TakeAllLocked();
        }
        foreach (var consumer in consumers)
        {
            consumer.Queue.RemoveConsumer(consumer);
        }
        ForEachQueue(all, static (queue, entries) => queue.Return(entries, countAsReturn: true));
    }

    /// <summary>Hands a delivery to the front end; false when the session or consumer has gone meanwhile.</summary>
    internal bool Deliver(QueueConsumer consumer, QueueEntry entry, long remaining)
    {
        lock (_lock)
        {
            if (_closed || consumer.IsCancelled)
            {
                if (!consumer.NoAck)
                {
                    consumer.RemoveUnacked();
                    Interlocked.Decrement(ref _unacked);
                }
                return false;
            }
            var tag = ++_nextTag;
            entry.Session = this;
            entry.Consumer = consumer;
            entry.DeliveryTag = tag;
            entry.AutoAck = consumer.NoAck;
            _window.Add(consumer.NoAck ? null : entry);
            _target.OnDelivery(consumer, new Delivery(tag, entry.Redelivered, entry.Message, consumer.Queue.Name, remaining));
            return true;
        }
    }

    /// <summary>The broker ended a consumer (queue deleted): forget it and tell the front end.</summary>
    internal void OnConsumerCancelled(QueueConsumer consumer)
    {
        lock (_lock)
        {
            if (!_consumers.TryGetValue(consumer.Tag, out var known) || !ReferenceEquals(known, consumer))
            {
                return;
            }
            _consumers.Remove(consumer.Tag);
        }
        _target.OnCancelled(consumer);
    }

    private List<QueueEntry> Take(long deliveryTag, bool multiple)
    {
        var taken = new List<QueueEntry>();
        lock (_lock)
        {
            if (multiple && deliveryTag == 0)
            {
                return TakeAllLocked();
            }
            var index = deliveryTag - _windowBase;
            if (deliveryTag <= 0 || index >= _window.Count || index < _head ||
                (!multiple && _window[(int)index] is null))
            {
                throw new MessagingException(MessagingError.UnknownDeliveryTag,
                    $"unknown delivery tag {deliveryTag}");
            }
            var from = multiple ? _head : (int)index;
            for (var i = from; i <= index; i++)
            {
                if (_window[i] is { } entry)
                {
                    taken.Add(entry);
                    _window[i] = null;
                    ReleaseCreditLocked(entry);
                }
            }
            TrimLocked();
        }
        return taken;
    }

    private List<QueueEntry> TakeAllLocked()
    {
        var taken = new List<QueueEntry>();
        for (var i = _head; i < _window.Count; i++)
        {
            if (_window[i] is { } entry)
            {
                taken.Add(entry);
                ReleaseCreditLocked(entry);
            }
        }
        _windowBase += _window.Count;
        _window.Clear();
        _head = 0;
        return taken;
    }

    private void ReleaseCreditLocked(QueueEntry entry)
    {
        if (entry.Consumer is { } consumer)
        {
            consumer.RemoveUnacked();
            Interlocked.Decrement(ref _unacked);
        }
    }

    private void TrimLocked()
    {
        while (_head < _window.Count && _window[_head] is null)
        {
            _head++;
        }
        if (_head == _window.Count || (_head > TrimThreshold && _head * 2 > _window.Count))
        {
            _window.RemoveRange(0, _head);
            _windowBase += _head;
            _head = 0;
        }
    }

    /// <summary>Credit came back to the session: queues it consumes from may deliver again.</summary>
    private void DispatchAll()
    {
        QueueConsumer[] consumers;
        lock (_lock)
        {
            if (_consumers.Count == 0)
            {
                return;
            }
            consumers = _consumers.Values.Where(c => c is not null).ToArray();
        }
        foreach (var consumer in consumers)
        {
            consumer.Queue.Dispatch();
        }
    }

    /// <summary>Calls <paramref name="action"/> once per queue with that queue's entries, in id order.</summary>
    private static void ForEachQueue(List<QueueEntry> entries, Action<Queue, List<QueueEntry>> action)
    {
        if (entries.Count == 0)
        {
            return;
        }
        var first = entries[0].Queue;
        var single = true;
        foreach (var entry in entries)
        {
            if (!ReferenceEquals(entry.Queue, first))
            {
                single = false;
                break;
            }
        }
        if (single)
        {
            entries.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            action(first, entries);
            return;
        }
        foreach (var group in entries.GroupBy(e => e.Queue))
        {
            var list = group.OrderBy(e => e.Id).ToList();
            action(group.Key, list);
        }
    }
}
