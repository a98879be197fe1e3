using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

/// <summary>The torn-tail and corruption matrix of reliability.md D3, applied to files of a closed log.</summary>
public class LogRecoveryTests
{
    private const string Dir = "/data/logs/r-0";
    private static readonly string FirstSegment = Dir + "/00000000000000000000.log";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();
    private readonly LogOptions _options = LogOptions.Default with { SegmentSizeBytes = 2048 };

    private PartitionLog Open(bool clean = false) => PartitionLog.Open(_device, Dir, _options, _clock, clean);

    /// <summary>Writes <paramref name="count"/> one-record batches and closes the log; returns the segment files.</summary>
    private async Task<string[]> WriteAndCloseAsync(int count)
    {
        await using var log = Open();
        for (var i = 0; i < count; i++)
        {
            await log.Append(TestBatches.Values(_clock.GetUtcNow().ToUnixTimeMilliseconds(), $"v{i}")).Durable;
        }
        return _device.ListFiles(Dir).Where(f => f.EndsWith(".log", StringComparison.Ordinal)).Order()
            .Select(f => Dir + "/" + f).ToArray();
    }

    private static int BatchSize(string value) => TestBatches.Values(0, value).Length;

    [Fact]
    public async Task A_batch_cut_in_the_middle_at_the_tail_is_truncated()
    {
        var segments = await WriteAndCloseAsync(5);
        var tail = segments[^1];
        _device.Truncate(tail, _device.GetFileBytes(tail).Length - 7);
        await using var log = Open();
        Assert.Null(log.DamageReason);
        Assert.Equal(new[] { "v0", "v1", "v2", "v3" }, TestBatches.ReadValues(log));
        var next = log.Append(TestBatches.Values(0, "next"));
        Assert.Equal(4, next.BaseOffset.Value);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("zeros")]
    public async Task Garbage_or_zeros_after_the_last_batch_are_truncated(string kind)
    {
        var segments = await WriteAndCloseAsync(3);
        var junk = kind == "zeros" ? new byte[4096] : Enumerable.Range(0, 300).Select(i => (byte)(i * 37)).ToArray();
        _device.AppendGarbage(segments[^1], junk);
        await using var log = Open();
        Assert.Null(log.DamageReason);
        Assert.Equal(new[] { "v0", "v1", "v2" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task A_flipped_bit_in_the_last_batch_is_a_torn_tail()
    {
        var segments = await WriteAndCloseAsync(3);
        var tail = segments[^1];
        _device.CorruptByte(tail, _device.GetFileBytes(tail).Length - 2);
        await using var log = Open(); // unclean: the tail is scanned with CRC checks
        Assert.Null(log.DamageReason);
        Assert.Equal(new[] { "v0", "v1" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task A_header_length_running_past_the_end_is_truncated()
    {
        var segments = await WriteAndCloseAsync(3);
        var tail = segments[^1];
        var bytes = _device.GetFileBytes(tail);
        var lastStart = bytes.Length - BatchSize("v2");
        // batchLength's top byte: a huge length.
        _device.CorruptByte(tail, lastStart + RecordBatch.LengthPosition, bit: 6);
        await using var log = Open();
        Assert.Null(log.DamageReason);
        Assert.Equal(new[] { "v0", "v1" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task A_bad_batch_followed_by_valid_batches_in_the_active_segment_marks_the_log_damaged()
    {
        var segments = await WriteAndCloseAsync(3);
        var tail = segments[^1];
        _device.CorruptByte(tail, BatchSize("v0") - 3); // inside the first batch, valid ones follow
        await using var log = Open();
        Assert.NotNull(log.DamageReason);
        Assert.Throws<LogDamagedException>(() => log.Read(Offset.Zero, 100));
        Assert.Throws<LogDamagedException>(() => log.Append(TestBatches.Values(0, "x")));
        Assert.Equal(3, _device.GetFileBytes(tail).Length / BatchSize("v0")); // nothing was truncated
    }

    [Fact]
    public async Task A_flipped_bit_in_a_sealed_segment_is_never_served()
    {
        var segments = await WriteAndCloseAsync(60);
        Assert.True(segments.Length > 2);
        _device.CorruptByte(segments[0], BatchSize("v0") + 30);
        await using var log = Open(clean: true);
        // Found at open: the sealed segment's tail check fails, the rebuild scan finds the bad CRC.
        Assert.Contains("CRC", log.DamageReason);
        Assert.Throws<LogDamagedException>(() => log.Read(Offset.Zero, 100));
        Assert.Throws<LogDamagedException>(() => log.Append(TestBatches.Values(0, "x")));
    }

    [Fact]
    public async Task Bytes_damaged_while_the_log_is_open_are_never_served()
    {
        var segments = await WriteAndCloseAsync(60);
        await using var log = Open(clean: true);
        Assert.Null(log.DamageReason);
        _device.CorruptByte(segments[0], BatchSize("v0") + 30); // bit rot under a running broker
        Assert.Throws<LogDamagedException>(() => TestBatches.ReadAll(log));
        Assert.NotNull(log.DamageReason);
        Assert.Throws<LogDamagedException>(() => log.Append(TestBatches.Values(0, "x")));
    }

    [Fact]
    public async Task A_truncated_sealed_segment_marks_the_log_damaged()
    {
        var segments = await WriteAndCloseAsync(60);
        _device.Truncate(segments[0], _device.GetFileBytes(segments[0]).Length - 10);
        await using var log = Open(clean: true);
        Assert.Contains("segment 0", log.DamageReason);
    }

    [Fact]
    public async Task A_missing_middle_segment_marks_the_log_damaged()
    {
        var segments = await WriteAndCloseAsync(60);
        Assert.True(segments.Length >= 3);
        _device.DeleteFile(segments[1]);
        await using var log = Open(clean: true);
        Assert.Contains("missing", log.DamageReason);
    }

    [Fact]
    public async Task Overlapping_offsets_mark_the_log_damaged()
    {
        var segments = await WriteAndCloseAsync(2);
        // Append a copy of the first batch (offset 0) after the second: offsets go backwards.
        var first = _device.GetFileBytes(segments[0])[..BatchSize("v0")];
        _device.AppendGarbage(segments[0], first);
        await using var log = Open();
        Assert.Contains("out of order", log.DamageReason);
    }

    [Fact]
    public async Task Deleted_or_corrupt_indexes_are_rebuilt_without_loss()
    {
        var segments = await WriteAndCloseAsync(60);
        _device.DeleteFile(Dir + "/00000000000000000000.index");
        _device.AppendGarbage(segments[1].Replace(".log", ".index"), new byte[] { 1, 2, 3 });
        _device.DeleteFile(segments[^1].Replace(".log", ".timeindex"));
        await using var log = Open(clean: true);
        Assert.Null(log.DamageReason);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"v{i}"), TestBatches.ReadValues(log));
        using var slice = log.Read(new Offset(37), 10);
        Assert.Equal(37, slice.FirstBatchOffset.Value);
    }

    [Fact]
    public async Task Leftover_files_of_interrupted_rewrites_are_removed()
    {
        await WriteAndCloseAsync(3);
        using (var file = _device.Open(FirstSegment + ".cleaned", IO.FileOpenMode.CreateNew))
        {
            file.Write(0, new byte[] { 9, 9, 9 });
        }
        using (var file = _device.Open(Dir + "/00000000000000000000.index.tmp", IO.FileOpenMode.CreateNew))
        {
            file.Write(0, new byte[] { 1 });
        }
        await using var log = Open();
        Assert.DoesNotContain(_device.ListFiles(Dir), f => f.EndsWith(".cleaned", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(new[] { "v0", "v1", "v2" }, TestBatches.ReadValues(log));
    }

    [Fact]
    public async Task An_unclean_reopen_rebuilds_the_active_index_and_continues()
    {
        await using (var log = Open())
        {
            for (var i = 0; i < 10; i++)
            {
                await log.Append(TestBatches.Values(0, $"v{i}")).Durable;
            }
            _device.CrashKeepingEverything(); // kill -9: page cache survives, no close
        }
        await using var reopened = Open();
        Assert.Equal(10, reopened.NextOffset.Value);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v{i}"), TestBatches.ReadValues(reopened));
    }
}
