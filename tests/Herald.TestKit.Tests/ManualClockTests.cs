namespace Herald.TestKit.Tests;

public sealed class ManualClockTests
{
    [Fact]
    public void Starts_at_a_fixed_date_and_stands_still()
    {
        var clock = new ManualClock();

        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), clock.GetUtcNow());
        Assert.Equal(clock.GetUtcNow(), clock.GetUtcNow());
        Assert.Equal(0, clock.GetTimestamp());
    }

    [Fact]
    public void Timers_fire_in_order_of_due_time_when_Advance_crosses_them()
    {
        var clock = new ManualClock();
        var fired = new List<(string Name, DateTimeOffset At)>();
        TimerCallback record = state => fired.Add(((string)state!, clock.GetUtcNow()));
        using var thirty = clock.CreateTimer(record, "30s", TimeSpan.FromSeconds(30), Timeout.InfiniteTimeSpan);
        using var ten = clock.CreateTimer(record, "10s", TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        using var twenty = clock.CreateTimer(record, "20s", TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);
        using var tenLater = clock.CreateTimer(record, "10s-second", TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(25));

        var start = ManualClock.DefaultStart;
        Assert.Equal(
            [("10s", start.AddSeconds(10)), ("10s-second", start.AddSeconds(10)), ("20s", start.AddSeconds(20))],
            fired);
        Assert.Equal(start.AddSeconds(25), clock.GetUtcNow());

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(("30s", start.AddSeconds(30)), fired[^1]);
        Assert.Equal(0, clock.ScheduledTimerCount);
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_crossed()
    {
        var clock = new ManualClock();
        var ticks = new List<TimeSpan>();
        using var timer = clock.CreateTimer(_ => ticks.Add(clock.GetUtcNow() - ManualClock.DefaultStart), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

        clock.Advance(TimeSpan.FromSeconds(17));

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)], ticks);
    }

    [Fact]
    public void Change_reschedules_and_Dispose_cancels()
    {
        var clock = new ManualClock();
        var count = 0;
        var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan)); // now due at 15 s
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, count);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, count);

        Assert.True(timer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, count);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public void A_timer_due_now_fires_on_the_next_Advance_not_on_creation()
    {
        var clock = new ManualClock();
        var fired = false;
        using var timer = clock.CreateTimer(_ => fired = true, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        Assert.False(fired);
        clock.Advance(TimeSpan.Zero);
        Assert.True(fired);
    }

    [Fact]
    public async Task Task_Delay_on_the_clock_completes_only_when_the_clock_is_advanced()
    {
        var clock = new ManualClock();
        var delay = Task.Delay(TimeSpan.FromSeconds(5), clock);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(delay.IsCompleted);
        await delay;
    }

    [Fact]
    public void Timestamps_follow_Advance_but_not_wall_clock_steps()
    {
        var clock = new ManualClock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan);
        var start = clock.GetTimestamp();

        clock.Advance(TimeSpan.FromMilliseconds(1500));
        clock.SetUtcNow(ManualClock.DefaultStart.AddHours(2));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), clock.GetElapsedTime(start));
        Assert.Equal(ManualClock.DefaultStart.AddHours(2), clock.GetUtcNow());
        Assert.Equal(0, fired);

        clock.SetUtcNow(ManualClock.DefaultStart.AddMinutes(-30)); // backwards, like an NTP step
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, fired);
        Assert.Equal(ManualClock.DefaultStart.AddMinutes(-29), clock.GetUtcNow());
    }
}
