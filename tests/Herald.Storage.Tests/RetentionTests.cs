using Herald.Primitives;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

public class RetentionTests
{
    private const string Dir = "/data/logs/ret-0";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private PartitionLog Open(LogOptions options) => PartitionLog.Open(_device, Dir, options, _clock);

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Segments_older_than_retention_time_are_deleted_whole()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 1024, RetentionTime = TimeSpan.FromHours(1) });
        for (var i = 0; i < 20; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        var oldSegments = log.SegmentCount;
        _clock.Advance(TimeSpan.FromMinutes(30));
        for (var i = 0; i < 5; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        Assert.Equal(0, log.ApplyRetention());
        _clock.Advance(TimeSpan.FromMinutes(31));
        var deleted = log.ApplyRetention();
        Assert.True(deleted >= oldSegments - 1, $"deleted {deleted} of {oldSegments}");
        Assert.True(log.LogStartOffset.Value > 0);
        Assert.True(log.LogStartOffset.Value <= 20); // nothing younger than an hour went
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(new Offset(0), 100));
        Assert.Equal(25 - log.LogStartOffset.Value, TestBatches.ReadAll(log).Count);
    }

    [Fact]
    public async Task An_idle_log_whose_data_all_expired_is_emptied_but_keeps_its_end_offset()
    {
        await using var log = Open(LogOptions.Default with { RetentionTime = TimeSpan.FromHours(1) });
        await log.Append(TestBatches.Values(Now, "a", "b")).Durable;
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, log.ApplyRetention());
        Assert.Equal(2, log.LogStartOffset.Value);
        Assert.Equal(2, log.NextOffset.Value);
        Assert.Equal(2, log.Append(TestBatches.Values(Now, "c")).BaseOffset.Value);
    }

    [Fact]
    public async Task Oldest_segments_go_while_the_log_exceeds_retention_bytes()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 1024, RetentionBytes = 3000, RetentionTime = null });
        for (var i = 0; i < 40; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        Assert.True(log.SizeInBytes > 3000);
        log.ApplyRetention();
        Assert.InRange(log.SizeInBytes, 1, 3000 + 1024);
        Assert.Equal(40, log.NextOffset.Value);
    }

    [Fact]
    public async Task A_compact_only_log_is_not_deleted_by_time()
    {
        await using var log = Open(LogOptions.Default with
        {
            SegmentSizeBytes = 1024, RetentionTime = TimeSpan.FromHours(1), Cleanup = CleanupPolicy.Compact,
        });
        for (var i = 0; i < 10; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, log.ApplyRetention());
        Assert.Equal(0, log.LogStartOffset.Value);
    }

    [Fact]
    public async Task A_reader_holding_a_slice_keeps_reading_after_retention_drops_the_segment()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 1024, RetentionTime = TimeSpan.FromHours(1) });
        for (var i = 0; i < 10; i++)
        {
            await log.Append(TestBatches.Sized(1, 300, Now)).Durable;
        }
        using var slice = log.Read(Offset.Zero, 100_000);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.True(log.ApplyRetention() > 0);
        var buffer = new byte[slice.Length];
        Assert.Equal(slice.Length, slice.CopyTo(buffer));
    }

    [Fact]
    public async Task Segments_below_an_advanced_log_start_are_deleted()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 1024, RetentionTime = null });
        for (var i = 0; i < 20; i++)
        {
            await log.Append(TestBatches.Sized(1, 200, Now)).Durable;
        }
        var before = log.SegmentCount;
        log.AdvanceLogStartOffset(new Offset(15));
        Assert.True(log.ApplyRetention() > 0);
        Assert.True(log.SegmentCount < before);
        Assert.Equal(15, log.LogStartOffset.Value);
        Assert.Equal(5, TestBatches.ReadAll(log).Count);
    }
}
