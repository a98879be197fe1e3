using Herald.Primitives;
using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

public class PartitionLogTests
{
    private const string Dir = "/data/logs/t-0";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private PartitionLog Open(LogOptions? options = null, bool clean = false) =>
        PartitionLog.Open(_device, Dir, options ?? LogOptions.Default, _clock, clean);

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Append_assigns_consecutive_offsets_across_batches()
    {
        await using var log = Open();
        var first = log.Append(TestBatches.Values(Now, "a", "b", "c"));
        var second = log.Append(TestBatches.Values(Now, "d"));
        await second.Durable;

        Assert.Equal(0, first.BaseOffset.Value);
        Assert.Equal(2, first.LastOffset.Value);
        Assert.Equal(3, second.BaseOffset.Value);
        Assert.Equal(4, log.NextOffset.Value);
        Assert.Equal(new[] { "a", "b", "c", "d" }, TestBatches.ReadValues(log));
        Assert.Equal(new long[] { 0, 1, 2, 3 }, TestBatches.ReadAll(log).Select(r => r.Offset));
    }

    [Fact]
    public async Task Append_of_several_batches_in_one_call_assigns_each_its_offsets()
    {
        await using var log = Open();
        var both = TestBatches.Values(Now, "a", "b").Concat(TestBatches.Values(Now, "c")).ToArray();
        var result = log.Append(both);
        await result.Durable;
        Assert.Equal(0, result.BaseOffset.Value);
        Assert.Equal(2, result.LastOffset.Value);
        Assert.Equal(new[] { "a", "b", "c" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task Always_policy_hides_data_until_the_fsync_covering_it_completes()
    {
        await using var log = Open();
        var result = log.Append(TestBatches.Values(Now, "x"));
        await result.Durable;
        Assert.Equal(1, log.HighWatermark.Value);
        Assert.True(_device.FlushCount >= 1);
        // The durable image holds the batch: a power cut now cannot take it back.
        Assert.True(_device.GetDurableBytes(Dir + "/00000000000000000000.log").Length > 0);
    }

    [Fact]
    public async Task Always_policy_raises_readable_changed_once_per_group_commit_after_the_high_watermark_moved()
    {
        await using var log = Open();
        var seen = new List<long>();
        var raised = 0;
        var sawAll = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.ReadableChanged += () =>
        {
            var highWatermark = log.HighWatermark.Value;
            lock (seen)
            {
                seen.Add(highWatermark);
            }
            Interlocked.Increment(ref raised);
            if (highWatermark == 50)
            {
                sawAll.TrySetResult();
            }
        };

        AppendResult last = default;
        for (var i = 0; i < 50; i++)
        {
            last = log.Append(TestBatches.Values(Now, $"v{i}"));
        }
        await last.Durable;
        // Raised on the fsync thread right after the waiters are completed.
        await sawAll.Task.WaitAsync(TimeSpan.FromSeconds(10));

        lock (seen)
        {
            Assert.True(seen.SequenceEqual(seen.Order()), "the high watermark seen by the event only moves forward");
            Assert.DoesNotContain(0L, seen);
        }
        // One event per group commit that moved the high watermark, not one per append.
        Assert.InRange(raised, 1, _device.FlushCount);
    }

    [Fact]
    public async Task Os_policy_raises_readable_changed_inside_append()
    {
        await using var log = Open(LogOptions.Default with { Fsync = FsyncPolicy.Os });
        long seen = -1;
        log.ReadableChanged += () => seen = log.HighWatermark.Value;

        log.Append(TestBatches.Values(Now, "a", "b"));

        Assert.Equal(2, seen);
    }

    [Fact]
    public async Task Os_policy_makes_data_visible_at_once_without_fsync()
    {
        await using var log = Open(LogOptions.Default with { Fsync = FsyncPolicy.Os });
        var flushesBefore = _device.FlushCount;
        var result = log.Append(TestBatches.Values(Now, "x"));
        Assert.True(result.Durable.IsCompletedSuccessfully);
        Assert.Equal(1, log.HighWatermark.Value);
        Assert.Equal(flushesBefore, _device.FlushCount);
    }

    [Fact]
    public async Task Os_policy_writes_back_in_the_background_every_writeback_bytes()
    {
        await using var log = Open(LogOptions.Default with { Fsync = FsyncPolicy.Os, WritebackBytes = 4096 });
        var batch = TestBatches.Values(Now, new string('v', 1000));
        var appendsPerWriteback = 4096 / batch.Length + 1;
        for (var i = 0; i < appendsPerWriteback - 1; i++)
        {
            log.Append(TestBatches.Values(Now, new string('v', 1000)));
        }
        Assert.Equal(0, _device.FlushCount); // below the threshold nothing is forced
        log.Append(TestBatches.Values(Now, new string('v', 1000)));
        // The writeback runs on an fsync thread and nobody waits for it: poll for the durable image.
        var file = Dir + "/00000000000000000000.log";
        for (var i = 0; i < 500 && _device.GetDurableBytes(file).Length < 4096; i++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(batch.Length * appendsPerWriteback, _device.GetDurableBytes(file).Length);
    }

    [Fact]
    public async Task Group_commit_covers_many_concurrent_appends_with_fewer_fsyncs()
    {
        await using var log = Open();
        var flushesBefore = _device.FlushCount;
        // The disk is slow: the first append's fsync waits until all 200 are in, which then need at most one more.
        _device.HoldFlushes();
        var appends = Enumerable.Range(0, 200).Select(i => log.Append(TestBatches.Values(Now, $"v{i}")).Durable).ToArray();
        Assert.DoesNotContain(appends, a => a.IsCompleted);
        _device.ReleaseFlushes();
        await Task.WhenAll(appends);
        var flushes = _device.FlushCount - flushesBefore;
        Assert.InRange(flushes, 1, 2);
        Assert.Equal(200, log.HighWatermark.Value);
    }

    [Fact]
    public async Task Read_returns_the_batch_containing_the_offset_and_respects_the_byte_limit()
    {
        await using var log = Open();
        for (var i = 0; i < 10; i++)
        {
            await log.Append(TestBatches.Sized(5, 100, Now)).Durable;
        }
        using var slice = log.Read(new Offset(12), 1);
        Assert.Equal(10, slice.FirstBatchOffset.Value);
        var buffer = new byte[slice.Length];
        var whole = slice.CopyTo(buffer);
        Assert.Equal(whole, slice.Length); // the first batch comes whole even above the limit
        Primitives.Records.RecordBatchHeader.TryRead(buffer, out var header);
        Assert.Equal(whole, header.TotalSize);

        using var large = log.Read(new Offset(0), 1 << 20);
        Assert.Equal(log.SizeInBytes, large.Length);
    }

    [Fact]
    public async Task Read_at_high_watermark_is_empty_and_beyond_the_end_is_out_of_range()
    {
        await using var log = Open();
        await log.Append(TestBatches.Values(Now, "a")).Durable;
        using (var atEnd = log.Read(new Offset(1), 100))
        {
            Assert.True(atEnd.IsEmpty);
        }
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(new Offset(2), 100));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(new Offset(-1), 100));
    }

    [Fact]
    public async Task Invalid_batches_are_rejected_and_nothing_is_stored()
    {
        await using var log = Open();
        var good = TestBatches.Values(Now, "ok");
        var badCrc = TestBatches.Values(Now, "bad");
        badCrc[^1] ^= 0xFF;
        var badMagic = TestBatches.Values(Now, "m");
        badMagic[Primitives.Records.RecordBatch.MagicPosition] = 1;
        var truncated = TestBatches.Values(Now, "t")[..40];

        Assert.Throws<InvalidRecordBatchException>(() => log.Append(good.Concat(badCrc).ToArray()));
        Assert.Throws<InvalidRecordBatchException>(() => log.Append(badMagic));
        Assert.Throws<InvalidRecordBatchException>(() => log.Append(truncated));
        Assert.Throws<InvalidRecordBatchException>(() => log.Append(Array.Empty<byte>()));
        Assert.Equal(0, log.NextOffset.Value);
        Assert.Equal(0, log.SizeInBytes);
        await log.Append(good).Durable;
        Assert.Equal(new[] { "ok" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task Segments_roll_when_the_size_limit_would_be_exceeded()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 4096 });
        for (var i = 0; i < 20; i++)
        {
            await log.Append(TestBatches.Sized(4, 200, Now)).Durable;
        }
        Assert.True(log.SegmentCount > 4);
        Assert.Equal(80, TestBatches.ReadAll(log).Count);
        var files = _device.ListFiles(Dir);
        Assert.Contains("00000000000000000000.log", files);
        Assert.Contains("00000000000000000000.index", files); // sealed segments have their index on disk
        Assert.Contains("00000000000000000000.timeindex", files);
    }

    [Fact]
    public async Task Segments_roll_when_the_active_segment_is_older_than_segment_max_age()
    {
        await using var log = Open(LogOptions.Default with { SegmentMaxAge = TimeSpan.FromHours(1) });
        await log.Append(TestBatches.Values(Now, "old")).Durable;
        _clock.Advance(TimeSpan.FromMinutes(30));
        await log.Append(TestBatches.Values(Now, "still")).Durable;
        Assert.Equal(1, log.SegmentCount);
        _clock.Advance(TimeSpan.FromMinutes(31));
        await log.Append(TestBatches.Values(Now, "new")).Durable;
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(new[] { "old", "still", "new" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task Sparse_index_finds_offsets_in_large_segments()
    {
        await using var log = Open(LogOptions.Default with { IndexIntervalBytes = 512 });
        for (var i = 0; i < 200; i++)
        {
            await log.Append(TestBatches.Values(Now, $"v{i}")).Durable;
        }
        for (var i = 0; i < 200; i += 17)
        {
            using var slice = log.Read(new Offset(i), 10);
            Assert.Equal(i, slice.FirstBatchOffset.Value);
        }
    }

    [Fact]
    public async Task Lookup_by_timestamp_finds_the_first_record_at_or_after_the_time()
    {
        await using var log = Open(LogOptions.Default with { SegmentSizeBytes = 2048, IndexIntervalBytes = 128 });
        var start = Now;
        for (var i = 0; i < 50; i++)
        {
            // Two records per batch, 1 s apart, batches 10 s apart.
            var builder = new Primitives.Records.RecordBatchBuilder();
            builder.Reset(start + (i * 10_000));
            builder.Add(start + (i * 10_000), default, "a"u8);
            builder.Add(start + (i * 10_000) + 1000, default, "b"u8);
            await log.Append(builder.Build().ToArray()).Durable;
        }
        Assert.True(log.SegmentCount > 1);
        Assert.Equal((new Offset(0), start), log.FindOffsetByTimestamp(start - 5));
        Assert.Equal((new Offset(41), start + 200_000 + 1000), log.FindOffsetByTimestamp(start + 200_500));
        Assert.Equal((new Offset(42), start + 210_000), log.FindOffsetByTimestamp(start + 201_001));
        Assert.Null(log.FindOffsetByTimestamp(start + 10_000_000));
    }

    [Fact]
    public async Task Clean_reopen_keeps_every_record_and_continues_offsets()
    {
        await using (var log = Open(LogOptions.Default with { SegmentSizeBytes = 2048 }))
        {
            for (var i = 0; i < 30; i++)
            {
                await log.Append(TestBatches.Values(Now, $"v{i}")).Durable;
            }
        }
        await using var reopened = Open(LogOptions.Default with { SegmentSizeBytes = 2048 }, clean: true);
        Assert.Equal(30, reopened.NextOffset.Value);
        Assert.Equal(30, reopened.HighWatermark.Value);
        var appended = reopened.Append(TestBatches.Values(Now, "after"));
        Assert.Equal(30, appended.BaseOffset.Value);
        await appended.Durable;
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"v{i}").Append("after"), TestBatches.ReadValues(reopened));
    }

    [Fact]
    public async Task Advancing_the_log_start_hides_older_offsets_and_survives_reopen()
    {
        await using (var log = Open())
        {
            for (var i = 0; i < 10; i++)
            {
                await log.Append(TestBatches.Values(Now, $"v{i}")).Durable;
            }
            log.AdvanceLogStartOffset(new Offset(4));
            Assert.Throws<OffsetOutOfRangeException>(() => log.Read(new Offset(3), 100));
            Assert.Throws<OffsetOutOfRangeException>(() => log.AdvanceLogStartOffset(new Offset(11)));
        }
        await using var reopened = Open();
        Assert.Equal(4, reopened.LogStartOffset.Value);
        Assert.Equal(Enumerable.Range(4, 6).Select(i => $"v{i}"), TestBatches.ReadValues(reopened));
    }

    [Fact]
    public async Task Log_works_on_the_real_file_system_with_directory_fsync()
    {
        using var temp = new TempDirectory();
        var directory = Path.Combine(temp.Path, "log");
        await using (var log = PartitionLog.Open(FileStorageDevice.Instance, directory,
                         LogOptions.Default with { SegmentSizeBytes = 4096 }, TimeProvider.System))
        {
            for (var i = 0; i < 40; i++)
            {
                await log.Append(TestBatches.Sized(2, 100, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).Durable;
            }
            Assert.True(log.SegmentCount > 1);
        }
        await using var reopened = PartitionLog.Open(FileStorageDevice.Instance, directory,
            LogOptions.Default with { SegmentSizeBytes = 4096 }, TimeProvider.System);
        Assert.Equal(80, TestBatches.ReadAll(reopened).Count);
    }
}
