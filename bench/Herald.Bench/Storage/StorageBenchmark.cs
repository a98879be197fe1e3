using System.Diagnostics;
using Herald.Bench.Cli;
using Herald.Bench.Common;

namespace Herald.Bench.Storage;

/// <summary>
/// <c>storage</c>: append and read throughput of <see cref="Herald.Storage.Log.PartitionLog"/> next to the limits
/// of the machine it runs on, measured in the same run and directory: dd for the disk, plain file reads, memcpy
/// and CRC-32C for memory. Rounds are interleaved (every probe and case once per round) and medians reported, so
/// a burst of noise from other work on the machine moves one run of each case rather than one case.
/// </summary>
internal sealed class StorageBenchmark : IBenchCommand
{
    public string Name => "storage";

    public string Summary => "append and read throughput of the segmented log against dd, file reads and memcpy";

    public string Usage =>
        "usage: bench/run storage [--dir <path>] [--seconds <n>] [--mib <n>] [--rounds <n>] [--out <file>] [--only <text>] [--quick]\n"
        + BenchOptions.CommonUsage;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = BenchOptions.Parse(args);
        var settings = StorageSettings.From(options);
        var started = DateTimeOffset.UtcNow;
        var parent = Path.GetFullPath(options.Directory ?? RepositoryPaths.ArtifactsBench);
        Directory.CreateDirectory(parent);
        var root = Path.Combine(parent, $"storage-{started.UtcDateTime:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        StorageResults results;
        try
        {
            results = await MeasureAsync(root, settings, options, started, cancellationToken);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        Console.Out.Write(StorageReport.ToMarkdown(results));
        var path = ResultsFile.Write(Name, results, options.Output, started);
        Progress($"results written to {path}");
        return ExitCodes.Ok;
    }

    private static async Task<StorageResults> MeasureAsync(string root, StorageSettings settings, BenchOptions options,
        DateTimeOffset started, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Describe(root);
        Progress($"machine: {machine}");
        Progress($"load average: {machine.LoadAverage} (other work on the machine makes the figures noisy)");
        Progress($"directory: {root}");
        var sets = StorageSettings.RecordSizes.ToDictionary(size => size,
            size => BatchSet.Build(size, StorageSettings.BatchBytes));
        var cases = AppendCase.All(settings).Where(c => options.Includes(c.Id)).ToList();

        // One short unrecorded pass over every case, so tiering and the thread pool have settled before round 1.
        foreach (var appendCase in cases)
        {
            await AppendRunner.RunAsync(appendCase, sets[appendCase.RecordSize], root, 0,
                Math.Min(0.5, settings.CaseSeconds), 64L << 20, cancellationToken);
        }
        Progress("warm-up done");

        int? calibrated = null;
        async Task<int> SyncWritesAsync()
        {
            if (calibrated is null)
            {
                calibrated = await DiskProbes.CalibrateSyncCountAsync(root, settings.SyncProbeSeconds, cancellationToken);
                Progress($"synchronous probes: {calibrated} writes of 16 KiB");
            }
            return calibrated.Value;
        }

        var probes = new List<DiskProbeResult>();
        var appends = new List<AppendRunResult>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            var tag = $"[round {round}/{settings.Rounds}]";
            if (options.Includes(DiskProbes.DdSequential))
            {
                probes.Add(Report(tag, await DiskProbes.DdSequentialAsync(root, settings.SequentialProbeBytes, round,
                    cancellationToken)));
                await SettleAsync(cancellationToken);
            }
            if (options.Includes(DiskProbes.DdSync))
            {
                probes.Add(Report(tag, await DiskProbes.DdSyncAsync(root, await SyncWritesAsync(), round,
                    cancellationToken)));
                await SettleAsync(cancellationToken);
            }
            if (options.Includes(DiskProbes.DeviceSequentialProbe))
            {
                probes.Add(Report(tag, DiskProbes.DeviceSequential(root, settings.SequentialProbeBytes, round)));
                await SettleAsync(cancellationToken);
            }
            foreach (var groupSize in StorageSettings.GroupProbeSizes)
            {
                if (!options.Includes(DiskProbes.GroupProbeId(groupSize)))
                {
                    continue;
                }
                // Group probes write twice the synchronous probe's volume in total, in groups of groupSize.
                var syncWrites = await SyncWritesAsync();
                var groups = groupSize == 1 ? syncWrites : Math.Max(64, syncWrites * 2 / groupSize);
                probes.Add(Report(tag, DiskProbes.DeviceGroups(root, groupSize, groups, round)));
                await SettleAsync(cancellationToken);
            }
            foreach (var appendCase in cases)
            {
                var run = await AppendRunner.RunAsync(appendCase, sets[appendCase.RecordSize], root, round,
                    settings.CaseSeconds, settings.CaseBytes, cancellationToken);
                Progress($"{tag} {appendCase.Label}: {run.AckedMBps:F0} MB/s acked, {run.OnDiskMBps:F0} MB/s on disk, "
                    + $"{run.Appends} appends, {run.Fsyncs} fsyncs, ack p99 {run.AckP99Ms:F2} ms");
                appends.Add(run);
                await SettleAsync(cancellationToken);
            }
        }

        var reads = new List<ReadRunResult>();
        long readLogBytes = 0;
        var readSegments = 0;
        if (options.Includes(ReadCases.Section))
        {
            Progress($"writing {settings.ReadBytes >> 20} MiB for the read cases");
            await using var fixture = await ReadFixture.CreateAsync(root, settings,
                sets[StorageSettings.ReadRecordSize]);
            readLogBytes = fixture.LogBytes;
            readSegments = fixture.SegmentCount;
            fixture.LogRead(0);
            fixture.Crc(0);
            for (var round = 1; round <= settings.Rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Func<int, ReadRunResult>[] runs = [fixture.FileRead, fixture.LogRead, fixture.Memcpy, fixture.Crc];
                foreach (var run in runs)
                {
                    var result = run(round);
                    Progress($"[round {round}/{settings.Rounds}] {result.Case}: {result.GBps:F2} GB/s");
                    reads.Add(result);
                }
            }
        }

        var summary = StorageReport.Summarize(cases, probes, appends, reads);
        var shapes = sets.Values.Select(s => new BatchShape(s.RecordSize, s.RecordsPerBatch, s.BatchBytes)).ToArray();
        return new StorageResults(started, machine, MachineInfo.ReadLoadAverage(), settings, calibrated ?? 0, shapes,
            readLogBytes, readSegments, probes, appends, reads, summary);
    }

    /// <summary>
    /// Commits the filesystem journal (the previous case's deletions and metadata) with sync(1), so that work is not
    /// charged to the next case.
    /// </summary>
    private static async Task SettleAsync(CancellationToken cancellationToken)
    {
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false });
        if (sync is not null)
        {
            await sync.WaitForExitAsync(cancellationToken);
        }
    }

    private static DiskProbeResult Report(string tag, DiskProbeResult probe)
    {
        Progress($"{tag} {probe.Probe}: {probe.MBps:F0} MB/s");
        return probe;
    }

    private static void Progress(string message) =>
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");
}
