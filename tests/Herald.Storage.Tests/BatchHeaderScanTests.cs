using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Storage.Tests;

/// <summary><see cref="PartitionLog.ScanBatchHeaders"/> and <see cref="PartitionLog.TailStartOffset"/>, which the broker rebuilds producer state with.</summary>
public class BatchHeaderScanTests
{
    private const string Dir = "/data/logs/scan-0";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private static byte[] Idempotent(long producerId, short epoch, int baseSequence, int count)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(1_700_000_000_000, producerId: producerId, producerEpoch: epoch, baseSequence: baseSequence);
        for (var i = 0; i < count; i++)
        {
            builder.Add(1_700_000_000_000, [1], new byte[100]);
        }
        return builder.Build().ToArray();
    }

    [Fact]
    public async Task The_scan_reports_each_batch_header_from_the_one_holding_the_start_offset()
    {
        await using var log = PartitionLog.Open(_device, Dir, LogOptions.Default, _clock);
        await log.Append(Idempotent(3, 1, 0, 2)).Durable;
        await log.Append(TestBatches.Values(0, "plain")).Durable;
        await log.Append(Idempotent(3, 1, 2, 3)).Durable;

        var seen = new List<StoredBatchHeader>();
        log.ScanBatchHeaders(new Offset(1), seen.Add);

        Assert.Equal(
        [
            new StoredBatchHeader(new Offset(0), new Offset(1), 0, 3, 1, 0),
            new StoredBatchHeader(new Offset(2), new Offset(2), 0, RecordBatch.NoProducerId, RecordBatch.NoProducerEpoch, RecordBatch.NoSequence),
            new StoredBatchHeader(new Offset(3), new Offset(5), 0, 3, 1, 2),
        ], seen);
    }

    [Fact]
    public async Task The_tail_is_whole_newest_segments_holding_at_least_the_bound()
    {
        var options = LogOptions.Default with { SegmentSizeBytes = 2048 };
        await using var log = PartitionLog.Open(_device, Dir, options, _clock);
        for (var i = 0; i < 20; i++)
        {
            await log.Append(Idempotent(1, 0, i * 5, 5)).Durable; // several hundred bytes: a few batches per segment
        }

        var whole = log.TailStartOffset(long.MaxValue);
        var oneByte = log.TailStartOffset(1);
        var twoSegments = log.TailStartOffset(1500);

        Assert.True(log.SegmentCount >= 5, $"{log.SegmentCount} segments");
        Assert.Equal(0, whole.Value);
        // The active segment alone: it starts at a batch boundary and holds at least the last batch (offsets 95-99).
        Assert.InRange(oneByte.Value, 5, 95);
        Assert.Equal(0, oneByte.Value % 5);
        // 1500 bytes need more than the active segment, but far from all of them.
        Assert.InRange(twoSegments.Value, 5, oneByte.Value - 5);
    }
}
