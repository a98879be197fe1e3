using System.Buffers;
using System.Buffers.Binary;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Compression;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

public class LogCompactionTests
{
    private const string Dir = "/data/logs/c-0";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();
    private readonly LogOptions _options = LogOptions.Default with
    {
        SegmentSizeBytes = 1024, Cleanup = CleanupPolicy.Compact, RetentionTime = null,
        DeleteRetention = TimeSpan.FromHours(1),
    };

    private PartitionLog Open(LogOptions? options = null, bool clean = false) =>
        PartitionLog.Open(_device, Dir, options ?? _options, _clock, clean);

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task WriteRoundsAsync(PartitionLog log, int rounds, string[] keys)
    {
        for (var round = 0; round < rounds; round++)
        {
            foreach (var key in keys)
            {
                await log.Append(TestBatches.Keyed(Now, (key, $"{key}{round}"))).Durable;
            }
        }
    }

    [Fact]
    public async Task Compaction_keeps_the_newest_record_per_key_at_its_original_offset()
    {
        await using var log = Open();
        await WriteRoundsAsync(log, 10, ["a", "b", "c"]);
        var before = TestBatches.ReadAll(log);
        var removed = log.Compact();
        Assert.True(removed > 0);
        var after = TestBatches.ReadAll(log);
        // Every key's newest value is still readable, at the same offset as before.
        foreach (var key in new[] { "a", "b", "c" })
        {
            var newest = before.Last(r => r.Key == key);
            Assert.Contains(newest, after);
        }
        Assert.True(after.Count < before.Count);
        Assert.All(after, r => Assert.Contains(r, before));
        Assert.Equal(after.OrderBy(r => r.Offset), after);
        // The log continues at the same end offset.
        Assert.Equal(30, log.Append(TestBatches.Keyed(Now, ("a", "new"))).BaseOffset.Value);
    }

    [Fact]
    public async Task Tombstones_stay_for_delete_retention_then_go_with_the_key()
    {
        await using var log = Open();
        await WriteRoundsAsync(log, 3, ["a", "b"]);
        await log.Append(TestBatches.Keyed(Now, ("a", null))).Durable; // tombstone for a
        await WriteRoundsAsync(log, 20, ["c"]); // push the tombstone out of the active segment
        log.Compact();
        var mid = TestBatches.ReadAll(log);
        Assert.DoesNotContain(mid, r => r.Key == "a" && r.Value is not null);
        Assert.Contains(mid, r => r.Key == "a" && r.Value is null);

        _clock.Advance(TimeSpan.FromHours(2));
        await WriteRoundsAsync(log, 20, ["d"]);
        log.Compact();
        var after = TestBatches.ReadAll(log);
        Assert.DoesNotContain(after, r => r.Key == "a");
        Assert.Contains(after, r => r.Key == "b" && r.Value == "b2");
    }

    [Fact]
    public async Task Records_younger_than_the_min_compaction_lag_are_not_compacted()
    {
        await using var log = Open(_options with { MinCompactionLag = TimeSpan.FromMinutes(10) });
        await WriteRoundsAsync(log, 30, ["a"]);
        Assert.True(log.SegmentCount > 1);
        Assert.Equal(0, log.Compact());
        _clock.Advance(TimeSpan.FromMinutes(11));
        Assert.True(log.Compact() > 0);
    }

    [Fact]
    public async Task A_compacted_log_reopens_with_its_gaps_and_serves_every_offset()
    {
        await using (var log = Open())
        {
            await WriteRoundsAsync(log, 10, ["a", "b", "c"]);
            log.Compact();
        }
        await using var reopened = Open(clean: true);
        Assert.Null(reopened.DamageReason);
        var records = TestBatches.ReadAll(reopened);
        Assert.Contains(records, r => r.Value == "c9");
        // Reading from an offset compaction removed continues at the next surviving record.
        using var slice = reopened.Read(new Offset(1), 100);
        Assert.True(slice.FirstBatchOffset.Value >= 1);
    }

    [Fact]
    public async Task A_compacted_log_recovers_after_an_unclean_shutdown()
    {
        await using (var log = Open())
        {
            await WriteRoundsAsync(log, 10, ["a", "b", "c"]);
            log.Compact();
            _device.CrashKeepingEverything();
        }
        await using var reopened = Open();
        Assert.Null(reopened.DamageReason);
        Assert.Contains(TestBatches.ReadAll(reopened), r => r.Value == "c9");
    }

    [Fact]
    public async Task Batches_partly_superseded_are_rebuilt_and_gzip_batches_stay_gzip()
    {
        await using var log = Open();
        var gzipBatch = Gzip(TestBatches.Keyed(Now, ("a", "a-old"), ("b", "b-only"), ("c", "c-old")));
        await log.Append(gzipBatch).Durable;
        await WriteRoundsAsync(log, 8, ["a", "c"]);
        Assert.True(log.Compact() > 0);
        var records = TestBatches.ReadAll(log);
        Assert.Contains(records, r => r.Key == "b" && r.Value == "b-only" && r.Offset == 1);
        Assert.DoesNotContain(records, r => r.Value == "a-old");
        using var slice = log.Read(Offset.Zero, 10);
        var buffer = new byte[slice.Length];
        slice.CopyTo(buffer);
        RecordBatchHeader.TryRead(buffer, out var header);
        Assert.Equal(CompressionType.Gzip, header.Compression);
        Assert.Equal(2, header.LastOffsetDelta); // the batch keeps its offset range
        Assert.Equal(1, header.RecordCount);
    }

    /// <summary>Re-encodes an uncompressed batch with its records gzip-compressed.</summary>
    private static byte[] Gzip(byte[] batch)
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write(batch.AsSpan(0, RecordBatch.HeaderSize));
        new GzipCodec().Compress(batch.AsSpan(RecordBatch.HeaderSize), writer);
        var result = writer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordBatch.LengthPosition), result.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(result.AsSpan(RecordBatch.AttributesPosition), (short)CompressionType.Gzip);
        RecordBatch.UpdateCrc(result);
        return result;
    }
}
