using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

/// <summary>Power loss, fsync errors and a full disk, through the crash-simulating device (reliability.md D2, D4, D5).</summary>
public class FaultInjectionTests
{
    private const string Dir = "/data/logs/f-0";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private PartitionLog Open(LogOptions? options = null) =>
        PartitionLog.Open(_device, Dir, options ?? LogOptions.Default with { SegmentSizeBytes = 2048 }, _clock);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_append_acknowledged_under_always_survives_power_loss(int seed)
    {
        var random = new Random(seed);
        var acknowledged = new List<string>();
        await using (var log = Open())
        {
            var pending = new List<(Task Durable, string Value)>();
            for (var i = 0; i < 60; i++)
            {
                var value = $"s{seed}-v{i}";
                pending.Add((log.Append(TestBatches.Values(Now, value)).Durable, value));
                if (random.Next(4) == 0)
                {
                    await pending[^1].Durable;
                }
            }
            foreach (var (durable, value) in pending)
            {
                if (durable.IsCompletedSuccessfully)
                {
                    acknowledged.Add(value);
                }
            }
            _device.Crash(seed); // torn writes, dropped unsynced entries; every open handle dies
        }
        await using var recovered = Open();
        Assert.Null(recovered.DamageReason);
        var values = TestBatches.ReadValues(recovered);
        Assert.All(acknowledged, value => Assert.Contains(value, values));
        // What survives is a prefix of what was written, with no holes and no garbage.
        Assert.Equal(Enumerable.Range(0, values.Count).Select(i => $"s{seed}-v{i}"), values);
        Assert.Equal(values.Count, recovered.NextOffset.Value);
    }

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 1; seed <= 50; seed++)
        {
            data.Add(seed);
        }
        return data;
    }

    [Fact]
    public async Task A_new_segment_survives_power_loss_because_its_directory_entry_was_synced()
    {
        await using (var log = Open())
        {
            for (var i = 0; i < 60; i++)
            {
                await log.Append(TestBatches.Values(Now, $"v{i}")).Durable;
            }
            Assert.True(log.SegmentCount > 2);
            _device.CrashLosingEverythingUnsynced();
        }
        await using var recovered = Open();
        Assert.Equal(60, TestBatches.ReadValues(recovered).Count);
    }

    [Fact]
    public async Task A_failed_fsync_fails_the_waiting_appends_and_takes_the_log_offline()
    {
        await using var log = Open();
        await log.Append(TestBatches.Values(Now, "before")).Durable;
        _device.FailFlushWhen(path => path.EndsWith(".log", StringComparison.Ordinal));
        var failing = log.Append(TestBatches.Values(Now, "lost"));
        await Assert.ThrowsAsync<LogOfflineException>(() => failing.Durable);
        Assert.False(log.IsHealthy);
        Assert.Throws<LogOfflineException>(() => log.Append(TestBatches.Values(Now, "after")));
        // The failed data was never made visible.
        Assert.Equal(1, log.HighWatermark.Value);
    }

    [Fact]
    public async Task Disk_full_rejects_the_append_without_storing_part_of_it_and_the_log_recovers()
    {
        await using var log = Open(LogOptions.Default);
        await log.Append(TestBatches.Values(Now, "first")).Durable;
        var used = _device.GetFileBytes(Dir + "/00000000000000000000.log").Length;
        _device.CapacityBytes = used + 100;
        Assert.Throws<DiskFullException>(() => log.Append(TestBatches.Sized(3, 200, Now)));
        Assert.Equal(used, _device.GetFileBytes(Dir + "/00000000000000000000.log").Length);
        Assert.True(log.IsHealthy);
        _device.CapacityBytes = null;
        var next = log.Append(TestBatches.Values(Now, "second"));
        await next.Durable;
        Assert.Equal(1, next.BaseOffset.Value);
        Assert.Equal(new[] { "first", "second" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task A_write_error_takes_the_log_offline_and_nothing_is_acknowledged()
    {
        await using var log = Open();
        _device.FailWriteWhen(path => path.EndsWith(".log", StringComparison.Ordinal));
        Assert.Throws<LogOfflineException>(() => log.Append(TestBatches.Values(Now, "x")));
        Assert.False(log.IsHealthy);
        Assert.Equal(0, log.HighWatermark.Value);
    }

    [Fact]
    public async Task A_write_torn_by_a_crash_is_truncated_on_recovery()
    {
        await using (var log = Open())
        {
            await log.Append(TestBatches.Values(Now, "kept")).Durable;
            _device.TearNextWrite(path => path.EndsWith(".log", StringComparison.Ordinal), keepBytes: 30);
            Assert.ThrowsAny<Exception>(() => log.Append(TestBatches.Values(Now, "torn")));
            _device.CrashKeepingEverything();
        }
        await using var recovered = Open();
        Assert.Null(recovered.DamageReason);
        Assert.Equal(new[] { "kept" }, TestBatches.ReadValues(recovered));
    }
}
