using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;

namespace Herald.Broker.Queues;

public sealed partial class Queue
{
    private QueueConsumer[] _consumers = [];
    private int _roundRobin;
    private bool _hadConsumer;
    // 0: no dispatcher; 1: one running; more: running and asked to go round again.
    private int _dispatchState;
    private readonly List<(QueueConsumer Consumer, QueueEntry Entry)> _dispatchBatch = [];
    private readonly List<QueueEntry> _dispatchExpired = [];

    public int ConsumerCount => Volatile.Read(ref _consumers).Length;

    /// <summary>Consumers in subscription order (the first is the active one under x-single-active-consumer).</summary>
    public IReadOnlyList<QueueConsumer> Consumers => Volatile.Read(ref _consumers);

    internal QueueConsumer AddConsumer(DeliverySession session, string tag, bool noAck, bool exclusive, int priority,
        int prefetchCount, IReadOnlyDictionary<string, object?> arguments, object? connection, Action<QueueConsumer> registered)
    {
        QueueConsumer consumer;
        lock (_lock)
        {
            if (IsDeleted)
            {
                throw MessagingException.NotFound($"no queue '{Name}' in vhost '{_host.Name}'");
            }
            CheckOwner(connection);
            if (_consumers.Length > 0 && (exclusive || _consumers[0].Exclusive))
            {
                throw new MessagingException(MessagingError.AccessRefused,
                    $"queue '{Name}' in vhost '{_host.Name}' in exclusive use");
            }
            consumer = new QueueConsumer(this, session, tag, noAck, exclusive, priority, prefetchCount, arguments);
            Volatile.Write(ref _consumers, [.. _consumers, consumer]);
            _hadConsumer = true;
            DisarmExpiryLocked();
        }
        registered(consumer);
        Dispatch();
        return consumer;
    }

    /// <summary>Removes a consumer; its unacknowledged deliveries stay with its session (AMQP basic.cancel).</summary>
    internal void RemoveConsumer(QueueConsumer consumer)
    {
        bool deleteNow;
        lock (_lock)
        {
            var index = Array.IndexOf(_consumers, consumer);
            if (index < 0)
            {
                return;
            }
            consumer.IsCancelled = true;
            var remaining = new QueueConsumer[_consumers.Length - 1];
            Array.Copy(_consumers, 0, remaining, 0, index);
            Array.Copy(_consumers, index + 1, remaining, index, remaining.Length - index);
            Volatile.Write(ref _consumers, remaining);
            deleteNow = AutoDelete && _hadConsumer && remaining.Length == 0 && !IsDeleted;
            if (remaining.Length == 0)
            {
                ArmExpiryLocked();
            }
        }
        if (deleteNow)
        {
            _host.DeleteUnusedQueueInBackground(this, "its last consumer was cancelled (auto-delete)");
        }
        else
        {
            Dispatch(); // under single active consumer the next one takes over
        }
    }

    /// <summary>Fails with 405 RESOURCE_LOCKED when another connection touches an exclusive queue.</summary>
    internal void CheckOwner(object? connection)
    {
        if (Owner is not null && !ReferenceEquals(Owner, connection))
        {
            throw new MessagingException(MessagingError.ResourceLocked,
                $"cannot obtain exclusive access to locked queue '{Name}' in vhost '{_host.Name}'. " +
                "It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.");
        }
    }

    /// <summary>Takes the next ready message for basic.get, or null when the queue is empty.</summary>
    internal QueueEntry? TakeForGet(out long remaining)
    {
        List<QueueEntry>? expired = null;
        QueueEntry? entry;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            TouchLocked();
            while ((entry = TakeReadyLocked()) is not null && entry.ExpiresAtMilliseconds <= now)
            {
                (expired ??= []).Add(entry);
            }
            if (entry is not null)
            {
                _unackedCount++;
            }
            remaining = _readyCount;
        }
        if (expired is not null)
        {
            DeadLetter(expired, DeathReason.Expired);
        }
        return entry;
    }

    /// <summary>
    /// Delivers ready messages to consumers with credit until one runs out. Called after anything that may make a
    /// delivery possible (a message arrives, credit returns, a consumer joins). Only one thread dispatches at a
    /// time; a call during a dispatch makes that dispatcher go round once more, so no wake-up is lost.
    /// </summary>
    internal void Dispatch()
    {
        if (Interlocked.Increment(ref _dispatchState) != 1)
        {
            return;
        }
        do
        {
            Volatile.Write(ref _dispatchState, 1);
            while (DispatchRound())
            {
            }
        }
        while (Interlocked.CompareExchange(ref _dispatchState, 0, 1) != 1);
    }

    /// <summary>One batch of deliveries; true when it was full (there may be more to deliver).</summary>
    private bool DispatchRound()
    {
        var batch = _dispatchBatch;
        var expired = _dispatchExpired;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            while (batch.Count < DispatchBatch && _readyCount > 0 && !IsDeleted)
            {
                var consumer = PickConsumerLocked();
                if (consumer is null)
                {
                    break;
                }
                var entry = TakeReadyLocked()!;
                if (entry.ExpiresAtMilliseconds <= now)
                {
                    expired.Add(entry);
                    continue;
                }
                if (!consumer.NoAck)
                {
                    consumer.AddUnacked();
                    consumer.Session.AddUnacked();
                }
                _unackedCount++;
                batch.Add((consumer, entry));
            }
        }
        var full = batch.Count == DispatchBatch;
        List<QueueEntry>? settledOnDelivery = null;
        foreach (var (consumer, entry) in batch)
        {
            if (!consumer.Session.Deliver(consumer, entry, MessageCount))
            {
                Return([entry], countAsReturn: false); // the session closed meanwhile
            }
            else if (consumer.NoAck)
            {
                (settledOnDelivery ??= []).Add(entry);
            }
        }
        batch.Clear();
        if (settledOnDelivery is not null)
        {
            lock (_lock)
            {
                _unackedCount -= settledOnDelivery.Count;
                SettleLocked(settledOnDelivery);
            }
        }
        if (expired.Count > 0)
        {
            var dead = expired.ToList();
            expired.Clear();
            DeadLetter(dead, DeathReason.Expired);
        }
        return full;
    }

    /// <summary>
    /// The consumer to deliver to next: under single active consumer, the first one; otherwise the highest priority
    /// among those with credit, round-robin within that priority.
    /// </summary>
    private QueueConsumer? PickConsumerLocked()
    {
        var consumers = _consumers;
        if (consumers.Length == 0)
        {
            return null;
        }
        if (Settings.SingleActiveConsumer)
        {
            return HasCredit(consumers[0]) ? consumers[0] : null;
        }
        var best = int.MinValue;
        var found = false;
        foreach (var consumer in consumers)
        {
            if (consumer.Priority > best && HasCredit(consumer))
            {
                best = consumer.Priority;
                found = true;
            }
        }
        if (!found)
        {
            return null;
        }
        for (var k = 0; k < consumers.Length; k++)
        {
            var index = (_roundRobin + k) % consumers.Length;
            var consumer = consumers[index];
            if (consumer.Priority == best && HasCredit(consumer))
            {
                _roundRobin = index + 1;
                return consumer;
            }
        }
        return null;
    }

    private static bool HasCredit(QueueConsumer consumer) =>
        !consumer.IsCancelled && !consumer.Session.IsPaused && consumer.HasOwnCredit && (consumer.NoAck || consumer.Session.HasCredit);

    /// <summary>Marks the queue deleted and returns its consumers, to be told (consumer cancel notification).</summary>
    internal QueueConsumer[] MarkDeleted()
    {
        lock (_lock)
        {
            IsDeleted = true;
            var consumers = _consumers;
            foreach (var consumer in consumers)
            {
                consumer.IsCancelled = true;
            }
            Volatile.Write(ref _consumers, []);
            DrainReadyLocked([]);
            DisposeTimersLocked();
            return consumers;
        }
    }
}
