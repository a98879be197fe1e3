using System.Diagnostics;
using Herald.Bench.Common;
using Herald.Storage;
using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>
/// Runs one <see cref="AppendCase"/> against a fresh log. The log is opened through <see cref="StorageEngine"/>,
/// as the broker does, because the <c>interval</c> policy's fsync timer lives in the engine. Each writer appends
/// its pre-built 16 KiB batches in a loop and, like a producer with acks=all, awaits Durable before its next
/// append; under <c>os</c> and <c>interval</c> Durable is already complete, so that loop never yields.
/// </summary>
internal static class AppendRunner
{
    public static async Task<AppendRunResult> RunAsync(AppendCase appendCase, BatchSet batches, string parent,
        int round, double seconds, long capBytes, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(parent, $"append-{appendCase.Id}-{round}");
        var device = new CountingStorageDevice(Herald.Storage.IO.FileStorageDevice.Instance);
        var logOptions = LogOptions.Default with
        {
            Fsync = appendCase.Policy,
            FsyncInterval = StorageSettings.FsyncInterval,
            SegmentSizeBytes = appendCase.SegmentBytes,
            RetentionTime = null,
        };
        var engine = StorageEngine.Open(new StorageEngineOptions
        {
            DataDirectory = directory,
            Device = device,
            DefaultLogOptions = logOptions,
            MaintenanceInterval = TimeSpan.FromDays(1), // retention and compaction are not what is measured
        });
        try
        {
            var log = engine.OpenLog("bench-0");
            var pools = Enumerable.Range(0, appendCase.Writers).Select(_ => batches.CopyForWriter()).ToArray();
            var io = device.Snapshot();
            var clock = CpuStopwatch.StartNew();
            var state = new RunState(capBytes,
                Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency), cancellationToken);
            var writers = pools.Select(pool => Task.Run(() => WriteAsync(log, pool, state), CancellationToken.None))
                .ToArray();
            var totals = await Task.WhenAll(writers);
            var acked = clock.ElapsedSeconds;
            await log.FlushAsync();
            var sample = clock.Sample();
            var used = device.Snapshot() - io;
            cancellationToken.ThrowIfCancellationRequested();

            var latencies = totals.SelectMany(t => t.Latencies).Order().ToArray();
            var appends = totals.Sum(t => t.Appends);
            var toMs = 1000.0 / Stopwatch.Frequency;
            return new AppendRunResult(appendCase.Id, round, appendCase.Policy, appendCase.Writers,
                appendCase.RecordSize, appends, appends * batches.RecordsPerBatch, appends * batches.BatchBytes,
                acked, sample.WallSeconds, sample.UserSeconds, sample.SystemSeconds, used.Flushes,
                used.FlushSeconds, used.Writes, used.WriteSeconds,
                totals.Sum(t => t.AppendCallTicks) / (double)Stopwatch.Frequency,
                Statistics.Percentile(latencies, 50) * toMs, Statistics.Percentile(latencies, 99) * toMs,
                latencies.Length == 0 ? double.NaN : latencies[^1] * toMs, log.SegmentCount, used.WritesPerFlush);
        }
        finally
        {
            await engine.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<WriterTotals> WriteAsync(PartitionLog log, byte[][] pool, RunState state)
    {
        var latencies = new List<long>(1 << 14);
        long appendTicks = 0;
        var next = 0;
        while (!state.ShouldStop)
        {
            var batch = pool[next];
            next = (next + 1) % pool.Length;
            var start = Stopwatch.GetTimestamp();
            var result = log.Append(batch);
            appendTicks += Stopwatch.GetTimestamp() - start;
            await result.Durable;
            latencies.Add(Stopwatch.GetTimestamp() - start);
            state.Add(batch.Length);
        }
        return new WriterTotals(latencies.Count, appendTicks, latencies);
    }

    /// <summary>What one writer did: its appends, time spent inside Append, and append-to-ack latencies in ticks.</summary>
    private sealed record WriterTotals(long Appends, long AppendCallTicks, List<long> Latencies);

    /// <summary>The shared stop condition: the byte cap, the deadline or cancellation, whichever comes first.</summary>
    private sealed class RunState(long capBytes, long deadlineTicks, CancellationToken cancellationToken)
    {
        private long _bytes;
        private volatile bool _stop;

        public bool ShouldStop => _stop;

        public void Add(int bytes)
        {
            if (Interlocked.Add(ref _bytes, bytes) >= capBytes || Stopwatch.GetTimestamp() >= deadlineTicks ||
                cancellationToken.IsCancellationRequested)
            {
                _stop = true;
            }
        }
    }
}
