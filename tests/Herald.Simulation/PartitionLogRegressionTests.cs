using System.Text;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Simulation;

/// <summary>
/// Properties the log simulation found violated, each reduced to the smallest deterministic scenario (reliability.md
/// §2.5: a failing seed becomes a named regression test). Each test states the property in its name; the comments
/// give the simulation seeds that first showed it.
/// </summary>
public class PartitionLogRegressionTests
{
    private const string Dir = "/data/logs/r-0";
    private const int ValueBytes = 300; // three such records overflow a 1 KiB segment, so each segment holds two

    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();
    private readonly FsyncGate _gate = new();

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static LogOptions Small(FsyncPolicy fsync = FsyncPolicy.Always) =>
        LogOptions.Default with { SegmentSizeBytes = 1024, Fsync = fsync };

    [Fact]
    public async Task Segments_deleted_by_retention_never_come_back_as_a_gap_after_power_loss()
    {
        // Seeds 12, 50 (damaged), 13, 44 (a hole below the log start in a compacted log).
        for (var seed = 1; seed <= 20; seed++)
        {
            var device = new CrashableStorageDevice();
            var clock = new ManualClock();
            var options = Small() with { RetentionTime = TimeSpan.FromHours(1) };
            await using (var log = PartitionLog.Open(device, Dir, options, clock))
            {
                for (var i = 0; i < 8; i++)
                {
                    await log.Append(Batch(clock.GetUtcNow().ToUnixTimeMilliseconds(), ("k", Value(i)))).Durable;
                }
                clock.Advance(TimeSpan.FromHours(2));
                Assert.True(log.ApplyRetention() >= 3);
                device.Crash(seed);
            }
            await using var reopened = PartitionLog.Open(device, Dir, options, clock);
            Assert.True(reopened.DamageReason is null,
                $"Crash({seed}) after retention: {reopened.DamageReason}. Retention deletes segment files without " +
                "syncing the directory, so a power loss keeps an arbitrary subset of the deletions.");
        }
    }

    [Fact]
    public async Task A_log_start_checkpoint_beyond_what_survived_a_power_loss_does_not_hide_later_records()
    {
        // Seeds 15 and 102.
        var options = Small(FsyncPolicy.Os);
        await using (var log = Open(options))
        {
            log.Append(Batch(Now, ("k", "a"), ("k", "b"), ("k", "c"), ("k", "d")));
            log.AdvanceLogStartOffset(new Offset(2)); // durable at once; the records are not
            _device.CrashLosingEverythingUnsynced();
        }
        await using (var log = Open(options))
        {
            Assert.Equal(0, log.NextOffset.Value);
            Assert.Equal(0, log.LogStartOffset.Value);
            log.Append(Batch(Now, ("k", "e"), ("k", "f"), ("k", "g"), ("k", "h")));
            await log.FlushAsync();
        }
        await using var reopened = Open(options, cleanShutdown: true);
        Assert.Equal(0, reopened.LogStartOffset.Value);
        Assert.Equal(["e", "f", "g", "h"], ReadAll(reopened).Select(r => r.Value));
    }

    [Fact]
    public async Task Timestamp_lookup_ignores_a_newer_record_below_the_log_start_in_the_same_batch()
    {
        // Seeds 17, 169 and most other timestamp-lookup failures.
        await using var log = Open(Small());
        var t0 = Now;
        await log.Append(Batch([("k", "late", t0 + 100), ("k", "early", t0), ("k", "early", t0)])).Durable;
        await log.Append(Batch([("k", "next", t0 + 200)])).Durable;
        log.AdvanceLogStartOffset(new Offset(1));
        // Offsets 1 and 2 are older than t0 + 50; the first record at or after it is offset 3. Offset 0 qualifies
        // but lies below the log start.
        var found = log.FindOffsetByTimestamp(t0 + 50);
        Assert.Equal((new Offset(3), t0 + 200), found);
    }

    [Fact]
    public async Task Timestamp_lookup_ignores_the_max_timestamp_a_compacted_batch_kept_from_a_removed_record()
    {
        // Seeds 92, 133 (compacted logs).
        var options = Small() with { Cleanup = CleanupPolicy.Compact, RetentionTime = null };
        await using var log = Open(options);
        var t0 = Now;
        await log.Append(Batch([("a", Value(0), t0 + 100), ("b", Value(1), t0)])).Durable; // offsets 0-1, sealed
        await log.Append(Batch([("c", Value(2), t0 + 150)])).Durable; // offset 2, rolls
        await log.Append(Batch([("a", Value(3), t0 + 200)])).Durable; // offset 3 supersedes offset 0
        await log.Append(Batch([("d", Value(4), t0 + 210)])).Durable; // rolls, so offset 3 is sealed too
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, log.Compact());
        // The rebuilt batch holds only b (t0) but kept the removed record's t0 + 100 as its max timestamp.
        var found = log.FindOffsetByTimestamp(t0 + 50);
        Assert.Equal((new Offset(2), t0 + 150), found);
    }

    [Fact]
    public async Task FlushAsync_waits_for_a_group_commit_that_is_already_fsyncing()
    {
        // Seeds 7, 12, 34 and others ("flush-durability").
        await using var log = Open(Small(), gated: true);
        var append = log.Append(Batch(Now, ("k", "v")));
        await WaitUntilAsync(() => _gate.HeldCount > 0); // the group commit took the append and is inside fsync
        var flush = log.FlushAsync();
        var completedEarly = flush.IsCompleted;
        _gate.Release();
        await append.Durable;
        Assert.False(completedEarly,
            "FlushAsync returned a completed task while the fsync covering an earlier append was still running.");
    }

    [Fact]
    public async Task Under_always_records_recovered_after_kill_9_are_fsynced_before_readers_see_them()
    {
        // Seeds 145, 173, 184 (a power loss after a kill -9 took records below a high watermark readers had seen).
        var options = Small();
        var first = new FencedStorageDevice(_device, _gate);
        var log = PartitionLog.Open(first, Dir, options, _clock);
        var append = log.Append(Batch(Now, ("k", "v"))); // its fsync is held: the write is in the page cache only
        _device.CrashKeepingEverything();
        first.Fence();
        _gate.Release();
        await Assert.ThrowsAnyAsync<StorageException>(() => append.Durable);

        await using (var recovered = Open(options))
        {
            Assert.Equal(1, recovered.HighWatermark.Value); // readers may now consume offset 0
            Assert.Equal(["v"], ReadAll(recovered).Select(r => r.Value));
            _device.CrashLosingEverythingUnsynced();
        }
        await using var afterPowerLoss = Open(options);
        Assert.True(afterPowerLoss.NextOffset.Value == 1,
            "A record served below the high watermark under FsyncPolicy.Always was lost by a power loss: recovery " +
            "published the unflushed tail it found after kill -9 without fsyncing it.");
    }

    [Fact]
    public async Task FlushAsync_after_a_restart_makes_the_records_recovered_from_the_page_cache_durable()
    {
        // Seeds 48, 107, 110 (interval and os policies).
        var options = Small(FsyncPolicy.Interval);
        await using (var log = Open(options))
        {
            log.Append(Batch(Now, ("k", "v")));
            _device.CrashKeepingEverything();
        }
        await using (var recovered = Open(options))
        {
            Assert.Equal(1, recovered.NextOffset.Value);
            await recovered.FlushAsync();
            _device.CrashLosingEverythingUnsynced();
        }
        await using var afterPowerLoss = Open(options);
        Assert.True(afterPowerLoss.NextOffset.Value == 1,
            "FlushAsync completed but did not fsync the record recovered after kill -9 (the log was not dirty).");
    }

    [Fact]
    public async Task A_key_deleted_by_compaction_stays_deleted_after_power_loss()
    {
        // Seeds 831 and 1664, once the bugs above were patched out locally.
        var options = Small() with { Cleanup = CleanupPolicy.Compact, RetentionTime = null, DeleteRetention = TimeSpan.Zero };
        await using (var log = Open(options))
        {
            await log.Append(Batch(Now, ("keep1", Value(0)))).Durable; // segment 0 keeps its records
            await log.Append(Batch(Now, ("keep2", Value(1)))).Durable;
            await log.Append(Batch(Now, ("a", Value(2)))).Durable; // segment 1: only "a", all superseded
            await log.Append(Batch(Now, ("a", Value(3)))).Durable;
            await log.Append(Batch(Now, ("b", Value(4)))).Durable; // segment 2: the tombstone and survivors
            await log.Append(Batch(Now, ("a", null))).Durable;
            await log.Append(Batch(Now, ("e", Value(5)))).Durable;
            await log.Append(Batch(Now, ("c", Value(6)))).Durable; // the active segment
            Assert.Equal(4, log.SegmentCount);
            _clock.Advance(TimeSpan.FromMinutes(1));
            Assert.True(log.Compact() >= 3); // both values of "a" and, being past the delete retention, its tombstone
            Assert.DoesNotContain(ReadAll(log), r => r.Key == "a");
            // Segment 2's rewrite was made durable; the deletion of the emptied segment 1 was not.
            _device.CrashLosingEverythingUnsynced();
        }
        await using var reopened = Open(options);
        Assert.DoesNotContain(ReadAll(reopened), r => r.Key == "a");
    }

    private PartitionLog Open(LogOptions options, bool cleanShutdown = false, bool gated = false) =>
        PartitionLog.Open(gated ? new FencedStorageDevice(_device, _gate) : _device, Dir, options, _clock, cleanShutdown);

    private static string Value(int i) => $"{i}:" + new string('x', ValueBytes);

    private static byte[] Batch(long timestamp, params (string Key, string? Value)[] records) =>
        Batch(records.Select(r => (r.Key, r.Value, timestamp)).ToArray());

    private static byte[] Batch((string Key, string? Value, long Timestamp)[] records)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(records[0].Timestamp); // as producers do: the base timestamp is the first record's
        for (var i = 0; i < records.Length; i++)
        {
            var (key, value, timestamp) = records[i];
            builder.Add(i, timestamp, Encoding.UTF8.GetBytes(key), false,
                value is null ? default : Encoding.UTF8.GetBytes(value), value is null, 0, default);
        }
        return builder.Build().ToArray();
    }

    /// <summary>Every readable record from the log start, decoded.</summary>
    private static List<(long Offset, string Key, string? Value)> ReadAll(PartitionLog log)
    {
        var result = new List<(long, string, string?)>();
        var next = log.LogStartOffset;
        while (next < log.HighWatermark)
        {
            using var slice = log.Read(next, 1 << 20);
            if (slice.IsEmpty)
            {
                break;
            }
            var buffer = new byte[slice.Length];
            var whole = slice.CopyTo(buffer);
            for (var p = 0; p < whole;)
            {
                RecordBatchHeader.TryRead(buffer.AsSpan(p), out var header);
                var size = (int)header.TotalSize;
                using var records = log.Codecs.OpenRecords(buffer.AsSpan(p, size));
                var reader = new RecordReader(records.Span);
                while (reader.TryReadNext(out var record))
                {
                    var offset = header.BaseOffset + record.OffsetDelta;
                    if (offset >= next.Value)
                    {
                        result.Add((offset, Encoding.UTF8.GetString(record.Key),
                            record.ValueIsNull ? null : Encoding.UTF8.GetString(record.Value)));
                    }
                }
                next = new Offset(Math.Max(next.Value, header.LastOffset + 1));
                p += size;
            }
        }
        return result;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 5)
        {
            Assert.True(waited < 10_000, "timed out waiting for the group commit to reach its fsync");
            await Task.Delay(5);
        }
    }
}
