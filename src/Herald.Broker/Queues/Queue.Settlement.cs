using Herald.Broker.Messages;
using Herald.Primitives.Threading;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Queues;

public sealed partial class Queue
{
    private readonly List<long> _settledIds = [];
    // Under _lock: a work item that writes the pending acknowledgement ranges is queued.
    private bool _ackWriteScheduled;

    /// <summary>Delivered messages acknowledged (or rejected without requeue and no dead-letter exchange).</summary>
    internal void Acknowledge(List<QueueEntry> entries)
    {
        lock (_lock)
        {
            _unackedCount -= entries.Count;
            SettleLocked(entries);
        }
        Dispatch();
    }

    /// <summary>
    /// Delivered messages come back (nack/reject with requeue, recover, a closed channel): they return to their
    /// place in id order, marked redelivered. A return counts towards x-delivery-limit unless
    /// <paramref name="countAsReturn"/> is false (a delivery that never reached the client).
    /// </summary>
    internal void Return(List<QueueEntry> entries, bool countAsReturn)
    {
        List<QueueEntry>? overLimit = null;
        lock (_lock)
        {
            _unackedCount -= entries.Count;
            foreach (var entry in entries)
            {
                entry.Consumer = null;
                entry.Session = null;
                if (countAsReturn)
                {
                    entry.Redelivered = true;
                    entry.ReturnCount++;
                    if (Settings.DeliveryLimit is { } limit && entry.ReturnCount > limit)
                    {
                        (overLimit ??= []).Add(entry);
                        continue;
                    }
                }
                if (!IsDeleted)
                {
                    ReturnReadyLocked(entry);
                }
            }
            ArmTtlTimerLocked(_clock.GetUtcNow().ToUnixTimeMilliseconds());
        }
        if (overLimit is not null)
        {
            DeadLetter(overLimit, DeathReason.DeliveryLimit);
        }
        Dispatch();
    }

    /// <summary>Delivered messages rejected without requeue: dead-lettered with reason rejected (or dropped).</summary>
    internal void Reject(List<QueueEntry> entries)
    {
        lock (_lock)
        {
            _unackedCount -= entries.Count;
        }
        DeadLetter(entries, DeathReason.Rejected);
        Dispatch();
    }

    /// <summary>
    /// Publishes copies of <paramref name="entries"/> to the dead-letter exchange (if the queue has one) and settles
    /// the originals. The entries are already out of the ready and unacknowledged counts.
    /// </summary>
    private void DeadLetter(List<QueueEntry> entries, DeathReason reason)
    {
        if (Settings.DeadLetterExchange is not null)
        {
            foreach (var entry in entries)
            {
                PublishDeadLetter(entry.Message, reason);
            }
        }
        lock (_lock)
        {
            SettleLocked(entries);
        }
    }

    /// <summary>
    /// Routes a copy of <paramref name="message"/> through the dead-letter exchange, with a death record for this
    /// queue and reason (RabbitMQ's x-death: one entry per queue and reason, counted, most recent first), the
    /// dead-letter routing key if set, and no per-message expiration (it is recorded in the death instead).
    /// </summary>
    private void PublishDeadLetter(Message message, DeathReason reason)
    {
        if (Settings.DeadLetterExchange is not { } exchange)
        {
            return;
        }
        if (IsAutomaticCycle(message, reason))
        {
            _logger.LogDebug("Dropping a message dead-lettered in a cycle through {Queue} without rejections", this);
            return;
        }
        var now = _clock.GetUtcNow();
        var deaths = new List<DeathRecord>(message.Deaths.Count + 1);
        DeathRecord? previous = null;
        foreach (var death in message.Deaths)
        {
            if (previous is null && death.Queue == Name && death.Reason == reason)
            {
                previous = death;
                continue;
            }
            deaths.Add(death);
        }
        var record = previous is null
            ? new DeathRecord(Name, reason, message.Exchange, [message.RoutingKey], 1, now, message.Properties.ExpirationMilliseconds)
            : previous with { Count = previous.Count + 1 };
        deaths.Insert(0, record);
        var properties = message.Properties with { ExpirationMilliseconds = null };
        var copy = new Message(exchange, Settings.DeadLetterRoutingKey ?? message.RoutingKey, message.Body, properties,
            now.ToUnixTimeMilliseconds(), deaths, message.FirstDeath ?? record);
        _host.PublishDeadLetter(this, copy);
    }

    /// <summary>
    /// RabbitMQ's cycle rule: a message that already died in this queue and was never rejected on the way is in a
    /// loop no client takes part in (e.g. two queues expiring into each other); it is dropped instead of circling
    /// forever. Loops that include a rejection (retry-with-delay patterns) go on.
    /// </summary>
    private bool IsAutomaticCycle(Message message, DeathReason reason)
    {
        if (reason == DeathReason.Rejected)
        {
            return false;
        }
        var diedHereBefore = false;
        foreach (var death in message.Deaths)
        {
            if (death.Reason == DeathReason.Rejected)
            {
                return false;
            }
            diedHereBefore |= death.Queue == Name;
        }
        return diedHereBefore;
    }

    /// <summary>Records <paramref name="entries"/> as settled for good (persisted for a durable queue).</summary>
    private void SettleLocked(List<QueueEntry> entries)
    {
        if (_acks is null || entries.Count == 0 || IsDeleted)
        {
            return;
        }
        _settledIds.Clear();
        foreach (var entry in entries)
        {
            _settledIds.Add(entry.Id);
        }
        SettleIdsLocked(_settledIds);
    }

    /// <summary>Records the messages <paramref name="ids"/> as settled for good (persisted for a durable queue).</summary>
    private void SettleIdsLocked(List<long> ids)
    {
        if (_acks is null || ids.Count == 0 || IsDeleted)
        {
            return;
        }
        _acks.Settle(ids);
        _settledSinceLogStartCheck += ids.Count;
        if (!_ackWriteScheduled)
        {
            // Acks arriving before the write runs (this loop turn, or while it waits in the thread pool) share its one
            // delta record.
            _ackWriteScheduled = true;
            SoonWork.Schedule(static queue => ((Queue)queue!).WritePendingAcks(), this);
        }
    }

    /// <summary>Persists the settlements recorded since the last write as one delta record.</summary>
    private void WritePendingAcks()
    {
        lock (_lock)
        {
            _ackWriteScheduled = false;
            if (IsDeleted || !_acks!.HasPending)
            {
                return;
            }
            try
            {
                _acks.WritePending();
                MaybeAdvanceLogStartLocked();
            }
            catch (Exception e) when (e is StorageException or IOException)
            {
                // The acknowledgement is applied in memory; after a restart the message is redelivered (at-least-once).
                _logger.LogWarning("Queue {Queue} could not persist acknowledgements: {Message}", Name, e.Message);
            }
        }
    }
}
