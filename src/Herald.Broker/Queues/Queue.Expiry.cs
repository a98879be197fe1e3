using Herald.Broker.Messages;

namespace Herald.Broker.Queues;

public sealed partial class Queue
{
    private ITimer? _ttlTimer;
    private long _ttlDueAt = long.MaxValue;
    private ITimer? _expiryTimer;

    /// <summary>
    /// Arms the message-TTL timer for the earliest head expiry. Only heads are checked, as in RabbitMQ: a message
    /// with a short expiration behind one with a long one expires when it reaches the head (or on delivery).
    /// </summary>
    private void ArmTtlTimerLocked(long now)
    {
        if (IsDeleted)
        {
            return;
        }
        var earliest = long.MaxValue;
        foreach (var level in _levels)
        {
            if (level.TryPeekExpiry(out var expiresAt) && expiresAt < earliest)
            {
                earliest = expiresAt;
            }
        }
        if (earliest == long.MaxValue || earliest >= _ttlDueAt)
        {
            return;
        }
        _ttlDueAt = earliest;
        _ttlTimer ??= _clock.CreateTimer(static state => ((Queue)state!).ExpireHeads(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _ttlTimer.Change(TimeSpan.FromMilliseconds(Math.Max(0, earliest - now)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Dead-letters expired messages at the heads (reason expired) and re-arms the timer.</summary>
    internal void ExpireHeads()
    {
        List<QueueEntry>? expired = null;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            _ttlDueAt = long.MaxValue;
            for (var level = 0; level < _levels.Length; level++)
            {
                while (_levels[level].TryPeekExpiry(out var expiresAt) && expiresAt <= now &&
                       TakeFromLevelLocked(level) is { } head)
                {
                    (expired ??= []).Add(head);
                }
            }
            ArmTtlTimerLocked(now);
        }
        if (expired is not null)
        {
            DeadLetter(expired, DeathReason.Expired);
        }
    }

    /// <summary>Starts the x-expires clock of a new queue (it is unused until someone consumes).</summary>
    internal void StartExpiryClock()
    {
        lock (_lock)
        {
            ArmExpiryLocked();
        }
    }

    /// <summary>A declare or basic.get counts as use and restarts the x-expires clock.</summary>
    internal void Touch()
    {
        lock (_lock)
        {
            TouchLocked();
        }
    }

    private void TouchLocked()
    {
        if (_consumers.Length == 0)
        {
            ArmExpiryLocked();
        }
    }

    private void ArmExpiryLocked()
    {
        if (Settings.Expires is not { } expires || IsDeleted)
        {
            return;
        }
        _expiryTimer ??= _clock.CreateTimer(static state => ((Queue)state!).OnExpiryTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _expiryTimer.Change(expires, Timeout.InfiniteTimeSpan);
    }

    private void DisarmExpiryLocked() => _expiryTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    private void OnExpiryTimer()
    {
        lock (_lock)
        {
            if (IsDeleted || _consumers.Length > 0)
            {
                return;
            }
        }
        _host.DeleteUnusedQueueInBackground(this, "it was unused for its x-expires time");
    }

    private void DisposeTimersLocked()
    {
        _ttlTimer?.Dispose();
        _ttlTimer = null;
        _expiryTimer?.Dispose();
        _expiryTimer = null;
    }
}
