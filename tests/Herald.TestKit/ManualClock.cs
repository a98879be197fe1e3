namespace Herald.TestKit;

/// <summary>
/// A <see cref="TimeProvider"/> that moves only when a test says so. Timers made through <see cref="CreateTimer"/>
/// (including those behind <c>Task.Delay(delay, clock)</c> and <c>new CancellationTokenSource(delay, clock)</c>) fire
/// synchronously inside <see cref="Advance"/>, in order of due time (ties in the order they were scheduled), with
/// the clock standing at each timer's due time while its callback runs. Timer callbacks run outside the clock's
/// lock, so they may call back into the clock. One clock per test or simulation; thread-safe.
/// <para>
/// Two times are kept, as in the OS. The monotonic time (<see cref="GetTimestamp"/>) drives timers and only moves
/// forward, by <see cref="Advance"/>. The wall clock (<see cref="GetUtcNow"/>) moves with it and can also be stepped
/// either way by <see cref="SetUtcNow"/>, like an NTP correction, without firing or delaying any timer (test D8).
/// </para>
/// <para>(Microsoft.Extensions.TimeProvider.Testing, whose FakeTimeProvider does much the same, is not available from
/// this project's package source.)</para>
/// </summary>
public sealed class ManualClock : TimeProvider
{
    /// <summary>2026-01-01T00:00:00Z: a fixed start, so timestamps in test output are reproducible.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _scheduled = [];
    private DateTimeOffset _utcNow;
    private long _monotonicTicks;
    private long _nextSequence;

    public ManualClock()
        : this(DefaultStart)
    {
    }

    public ManualClock(DateTimeOffset start)
    {
        _utcNow = start.ToUniversalTime();
    }

    /// <summary>One tick is 100 ns, so <see cref="GetTimestamp"/> counts <see cref="TimeSpan"/> ticks since the clock was made.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Timers that are scheduled to fire (created or changed with a finite due time, not yet fired if one-shot, not disposed).</summary>
    public int ScheduledTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _scheduled.Count;
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _utcNow;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _monotonicTicks;
        }
    }

    /// <summary>
    /// Steps the wall clock to <paramref name="utcNow"/>, forward or back. Timers and <see cref="GetTimestamp"/> do not
    /// move: use <see cref="Advance"/> to let time pass.
    /// </summary>
    public void SetUtcNow(DateTimeOffset utcNow)
    {
        lock (_gate)
        {
            _utcNow = utcNow.ToUniversalTime();
        }
    }

    /// <summary>
    /// Lets <paramref name="delta"/> pass, firing every timer that falls due on the way, including those due now
    /// (a timer created with a zero due time fires on the next Advance, even <c>Advance(TimeSpan.Zero)</c>).
    /// A periodic timer fires once per period crossed. Exceptions from callbacks propagate to the caller.
    /// </summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _monotonicTicks + delta.Ticks;
        }
        while (true)
        {
            ManualTimer timer;
            lock (_gate)
            {
                var next = NextDue(target);
                if (next is null)
                {
                    MoveTo(target);
                    return;
                }
                timer = next;
                MoveTo(timer.DueTicks);
                if (timer.PeriodTicks > 0)
                {
                    Schedule(timer, timer.DueTicks + timer.PeriodTicks, timer.PeriodTicks);
                }
                else
                {
                    _scheduled.Remove(timer);
                }
            }
            timer.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private ManualTimer? NextDue(long target)
    {
        ManualTimer? next = null;
        foreach (var timer in _scheduled)
        {
            if (timer.DueTicks <= target
                && (next is null || timer.DueTicks < next.DueTicks || (timer.DueTicks == next.DueTicks && timer.Sequence < next.Sequence)))
            {
                next = timer;
            }
        }
        return next;
    }

    /// <summary>Moves both times forward to <paramref name="ticks"/>; never back (a callback may have advanced further).</summary>
    private void MoveTo(long ticks)
    {
        if (ticks > _monotonicTicks)
        {
            _utcNow += TimeSpan.FromTicks(ticks - _monotonicTicks);
            _monotonicTicks = ticks;
        }
    }

    private void Schedule(ManualTimer timer, long dueTicks, long periodTicks)
    {
        timer.DueTicks = dueTicks;
        timer.PeriodTicks = periodTicks;
        timer.Sequence = _nextSequence++;
        if (!_scheduled.Contains(timer))
        {
            _scheduled.Add(timer);
        }
    }

    private static void ValidateTimerSpan(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be non-negative or Timeout.InfiniteTimeSpan");
        }
    }

    /// <summary>A timer on the manual clock. State is guarded by the clock's lock.</summary>
    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public long DueTicks { get; set; }

        /// <summary>0 for a one-shot timer.</summary>
        public long PeriodTicks { get; set; }

        /// <summary>Orders timers due at the same tick: the one scheduled first fires first.</summary>
        public long Sequence { get; set; }

        /// <summary>Same contract as <see cref="System.Threading.Timer.Change(TimeSpan, TimeSpan)"/>: infinite due time stops it; infinite or zero period makes it one-shot.</summary>
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateTimerSpan(dueTime, nameof(dueTime));
            ValidateTimerSpan(period, nameof(period));
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return false;
                }
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    clock._scheduled.Remove(this);
                    return true;
                }
                var periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                clock.Schedule(this, clock._monotonicTicks + dueTime.Ticks, periodTicks);
                return true;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
                clock._scheduled.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
