using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

public class StorageEngineTests
{
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private StorageEngine Open(LogOptions? defaults = null) => StorageEngine.Open(new StorageEngineOptions
    {
        DataDirectory = "/data",
        Device = _device,
        Clock = _clock,
        DefaultLogOptions = defaults ?? LogOptions.Default,
        MaintenanceInterval = TimeSpan.FromMinutes(1),
    });

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_clean_shutdown_is_recognised_at_the_next_start_and_a_crash_is_not()
    {
        await using (var engine = Open())
        {
            Assert.False(engine.WasCleanShutdown);
        }
        // The crashed engine is abandoned, never disposed: a killed process runs no shutdown code.
        var crashed = Open();
        Assert.True(crashed.WasCleanShutdown);
        _device.CrashKeepingEverything();
        await using var afterCrash = Open();
        Assert.False(afterCrash.WasCleanShutdown);
    }

    [Fact]
    public async Task Logs_are_stored_under_encoded_names_and_listed_back()
    {
        await using (var engine = Open())
        {
            var log = engine.OpenLog("orders/eu.west:1");
            await log.Append(TestBatches.Values(Now, "a")).Durable;
            Assert.Same(log, engine.OpenLog("orders/eu.west:1"));
        }
        await using var reopened = Open();
        Assert.Equal(new[] { "orders/eu.west:1" }, reopened.ListStoredLogs());
        Assert.Equal(new[] { "a" }, TestBatches.ReadValues(reopened.OpenLog("orders/eu.west:1")));
    }

    [Fact]
    public async Task Deleting_a_log_removes_its_data()
    {
        await using var engine = Open();
        var log = engine.OpenLog("gone");
        await log.Append(TestBatches.Values(Now, "a")).Durable;
        await engine.DeleteLogAsync("gone");
        Assert.Empty(engine.ListStoredLogs());
        Assert.Null(engine.TryGetLog("gone"));
        Assert.Throws<LogClosedException>(() => log.Append(TestBatches.Values(Now, "b")));
    }

    [Fact]
    public async Task Maintenance_applies_retention_on_its_timer()
    {
        await using var engine = Open(LogOptions.Default with { SegmentSizeBytes = 1024, RetentionTime = TimeSpan.FromHours(1) });
        var log = engine.OpenLog("t");
        for (var i = 0; i < 20; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.True(log.LogStartOffset.Value > 0);
    }

    [Fact]
    public async Task Interval_policy_logs_are_flushed_by_the_engine_timer()
    {
        var defaults = LogOptions.Default with { Fsync = FsyncPolicy.Interval, FsyncInterval = TimeSpan.FromSeconds(1) };
        await using var engine = Open(defaults);
        var log = engine.OpenLog("i");
        await log.Append(TestBatches.Values(Now, "a")).Durable;
        var segment = "/data/logs/i/00000000000000000000.log";
        Assert.Empty(_device.GetDurableBytes(segment));
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => _device.GetDurableBytes(segment).Length > 0);
    }

    [Fact]
    public void An_unusable_data_directory_fails_to_open()
    {
        using var temp = new TempDirectory();
        var file = Path.Combine(temp.Path, "not-a-dir");
        File.WriteAllText(file, "x");
        Assert.ThrowsAny<IOException>(() => StorageEngine.Open(new StorageEngineOptions { DataDirectory = file }));
    }

    [Theory]
    [InlineData("plain-name_1.2")]
    [InlineData(".hidden")]
    [InlineData("a/b\\c %41")]
    [InlineData("ünïcødé-队列")]
    public void Log_names_map_to_safe_directory_names_and_back(string name)
    {
        var directory = LogNames.ToDirectoryName(name);
        Assert.Matches("^[A-Za-z0-9_%-][A-Za-z0-9._%-]*$", directory);
        Assert.True(LogNames.TryFromDirectoryName(directory, out var back));
        Assert.Equal(name, back);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task The_engine_works_on_a_real_directory()
    {
        using var temp = new TempDirectory();
        await using (var engine = StorageEngine.Open(new StorageEngineOptions { DataDirectory = temp.Path }))
        {
            await engine.Metadata.PutAsync("k", [1, 2, 3]);
            await engine.OpenLog("t").Append(TestBatches.Values(Now, "x")).Durable;
        }
        Assert.True(File.Exists(Path.Combine(temp.Path, "clean-shutdown")));
        await using var reopened = StorageEngine.Open(new StorageEngineOptions { DataDirectory = temp.Path });
        Assert.True(reopened.Metadata.TryGet("k", out _));
        Assert.Equal(FileStorageDevice.Instance, new StorageEngineOptions { DataDirectory = "x" }.Device);
    }
}
