using System.Globalization;
using System.Text;
using Herald.Bench.Common;
using static Herald.Bench.Common.Format;
using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>
/// Turns the raw rounds of a <c>storage</c> run into medians, ratios to the machine's limits and the issue's goals,
/// and renders them as markdown. Every ratio divides a median by a median of the same rounds.
/// </summary>
internal static class StorageReport
{
    private const double SequentialGoal = 0.90;
    private const double GroupCommitGoal = 0.50;
    private const double ReadGoalGBps = 2.0;

    public static StorageSummary Summarize(IReadOnlyList<AppendCase> cases, IReadOnlyList<DiskProbeResult> probes,
        IReadOnlyList<AppendRunResult> appends, IReadOnlyList<ReadRunResult> reads)
    {
        var probeSummaries = probes.GroupBy(p => p.Probe).Select(g => new ProbeSummary(g.Key, g.First().Command,
            g.First().GroupSize, Statistics.Median(g.Select(p => p.MBps)), Statistics.Median(g.Select(p => p.WriteMBps)),
            Statistics.Median(g.Select(p => (p.UserCpuSeconds + p.SystemCpuSeconds) * 1000 / (p.Bytes / 1e6))),
            g.Select(p => p.MBps).ToArray())).ToList();
        // Without a probe (filtered out with --only) its ratios are NaN and print as a dash.
        var ddSequential = probeSummaries.Find(p => p.Probe == DiskProbes.DdSequential)?.MBps ?? double.NaN;
        var ddSync = probeSummaries.Find(p => p.Probe == DiskProbes.DdSync)?.MBps ?? double.NaN;

        var appendSummaries = new List<AppendSummary>();
        var goals = new List<GoalResult>();
        foreach (var appendCase in cases)
        {
            var runs = appends.Where(a => a.Case == appendCase.Id).ToList();
            double M(Func<AppendRunResult, double> metric) => Statistics.Median(runs.Select(metric));
            var onDisk = M(r => r.OnDiskMBps);
            appendSummaries.Add(new AppendSummary(appendCase.Id, appendCase.Label, appendCase.Policy,
                appendCase.Writers, appendCase.RecordSize, M(r => r.AckedMBps), onDisk, M(r => r.RecordsPerSecond),
                onDisk / ddSequential, onDisk / ddSync, M(r => r.UserCpuMsPerMB), M(r => r.SystemCpuMsPerMB),
                M(r => r.CpuCores), M(r => r.AppendsPerFsync), M(r => r.Fsyncs), M(r => r.FsyncsPerSecond), M(r => r.FsyncMeanUs),
                M(r => r.AckP50Ms), M(r => r.AckP99Ms), M(r => r.AckMaxMs), M(r => r.AppendCallUs), M(r => r.PwriteUs),
                M(r => r.FsyncShare(0, 1)), M(r => r.FsyncShare(2, 3)), M(r => r.FsyncShare(4, 7)),
                M(r => r.FsyncShare(8, int.MaxValue / 2)), runs.Select(r => r.OnDiskMBps).ToArray()));
            var target = appendCase.Goal switch
            {
                AppendGoal.NinetyPercentOfSequential => SequentialGoal,
                AppendGoal.HalfOfSequential => GroupCommitGoal,
                _ => double.NaN,
            };
            if (!double.IsNaN(target) && !double.IsNaN(ddSequential))
            {
                goals.Add(new GoalResult($"append {appendCase.Policy.ToString().ToLowerInvariant()} ×{appendCase.Writers} ≥ {Percent(target)} of raw sequential write",
                    appendCase.Label, $"{Percent(onDisk / ddSequential)} ({Number(onDisk)} of {Number(ddSequential)} MB/s)",
                    onDisk / ddSequential >= target));
            }
        }

        var fileRead = Statistics.Median(reads.Where(r => r.Case == ReadCases.File).Select(r => r.GBps));
        var readSummaries = reads.GroupBy(r => r.Case).Select(g =>
        {
            double M(Func<ReadRunResult, double> metric) => Statistics.Median(g.Select(metric));
            var gbps = M(r => r.GBps);
            return new ReadSummary(g.Key, gbps, gbps / fileRead, M(r => r.CpuMsPerMB), M(r => r.LookupUsPerCall),
                M(r => r.CopyUsPerCall), M(r => r.ReadAmplification), M(r => (double)r.FileReads / r.Calls),
                g.Select(r => r.GBps).ToArray());
        }).ToList();
        if (readSummaries.Find(r => r.Case == ReadCases.Log) is { } logRead)
        {
            goals.Add(new GoalResult($"sequential read ≥ {ReadGoalGBps:F0} GB/s", "log Read + CopyTo (CRC-32C verified)",
                $"{logRead.GBps:F2} GB/s", logRead.GBps >= ReadGoalGBps));
        }
        return new StorageSummary(probeSummaries, appendSummaries, readSummaries, goals);
    }

    public static string ToMarkdown(StorageResults results)
    {
        var summary = results.Summary;
        var text = new StringBuilder();
        var settings = results.Settings;
        text.AppendLine("# Herald storage benchmark").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Started {results.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC on {results.Machine}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Data directory {results.Machine.Directory} (deleted afterwards).");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Load average at start {results.Machine.LoadAverage}, at end {results.LoadAverageAtEnd} ({results.Machine.Cores} cores).");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Every figure is the median of {settings.Rounds} interleaved round(s): each round runs every probe and case once, in the same order.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Append cases stop after {settings.CaseSeconds:0.#} s or {settings.CaseBytes >> 20} MiB, whichever comes first. MB = 10^6 B, GB = 10^9 B of batch bytes.");
        text.AppendLine("- Batches: " + string.Join("; ", results.Batches.Select(b =>
            $"{Size(b.RecordSize)} records, {b.RecordsPerBatch} per batch of {b.BatchBytes} B")) + ".");
        if (settings.Quick)
        {
            text.AppendLine("- **--quick smoke run: volumes are too small for these figures to mean anything.**");
        }
        text.AppendLine();

        text.AppendLine("## Machine limits (same filesystem as the log)").AppendLine();
        var probes = new MarkdownTable("probe", ">MB/s", ">write phase MB/s", ">CPU ms/MB", "runs (MB/s)", "reference for");
        foreach (var probe in summary.Probes)
        {
            var (name, use) = probe.Probe switch
            {
                DiskProbes.DdSequential => ("`" + probe.Command + "`", "raw sequential write: os, interval, always ×8"),
                DiskProbes.DdSync => ("`" + probe.Command + "`", "one fsync per 16 KiB write: always ×1"),
                DiskProbes.DeviceSequentialProbe => ("engine device: 16 KiB pwrites, fdatasync at end", "os/interval minus the log"),
                DiskProbes.DeviceSyncProbe => ("engine device: 16 KiB pwrite + fdatasync each", "always ×1 minus the log"),
                _ => ($"engine device: {probe.GroupSize} × 16 KiB pwrites + fdatasync, repeated",
                    $"group commit by hand, {probe.GroupSize} appends per fsync"),
            };
            var dd = probe.Probe.StartsWith("dd", StringComparison.Ordinal);
            probes.Add(name, Number(probe.MBps), dd ? "—" : Number(probe.WriteMBps), dd ? "—" : probe.CpuMsPerMB.ToString("F3", CultureInfo.InvariantCulture),
                string.Join(", ", probe.RunsMBps.Select(Number)), use);
        }
        text.AppendLine(probes.ToString());

        if (summary.Appends.Count > 0)
        {
            AppendAppendTable(text, summary);
        }
        if (summary.Reads.Count > 0)
        {
            AppendReadTable(text, results);
        }

        text.AppendLine("## Goals (from the issue)").AppendLine();
        var goalTable = new MarkdownTable("goal", "case", "measured", "status");
        foreach (var goal in summary.Goals)
        {
            goalTable.Add(goal.Goal, goal.Case, goal.Measured, goal.Met ? "met" : "**missed**");
        }
        text.AppendLine(goalTable.ToString());

        text.AppendLine("## Where the time goes").AppendLine();
        if (summary.Appends.Count > 0)
        {
            AppendAppendBreakdown(text, summary);
        }
        if (summary.Reads.Count > 0)
        {
            AppendReadBreakdown(text, results);
        }
        return text.ToString();
    }

    private static void AppendAppendTable(StringBuilder text, StorageSummary summary)
    {
        text.AppendLine("## Append (16 KiB batches; writers await Durable before their next append)").AppendLine();
        text.AppendLine("*acked*: until every writer had its answer; *on disk*: plus a final FlushAsync, the same work as dd's conv=fdatasync. Ratios use *on disk*.").AppendLine();
        var appendTable = new MarkdownTable("case", ">MB/s acked", ">MB/s on disk", ">records/s", ">vs dd seq",
            ">vs dd dsync-16k", ">CPU ms/MB usr+sys", ">appends/fsync", ">ack p50 / p99 / max ms", "goal");
        foreach (var a in summary.Appends)
        {
            appendTable.Add(a.Label, Number(a.AckedMBps), Number(a.OnDiskMBps), Number(a.RecordsPerSecond),
                Percent(a.VsDdSequential), a.Policy == FsyncPolicy.Always ? Percent(a.VsDdSync) : "—",
                $"{a.UserCpuMsPerMB:F2}+{a.SystemCpuMsPerMB:F2}",
                double.IsNaN(a.AppendsPerFsync) || a.Policy != FsyncPolicy.Always ? "—" : $"{a.AppendsPerFsync:F2}",
                $"{Ms(a.AckP50Ms)} / {Ms(a.AckP99Ms)} / {Ms(a.AckMaxMs)}", GoalText(a, summary.Goals));
        }
        text.AppendLine(appendTable.ToString());
    }

    private static void AppendReadTable(StringBuilder text, StorageResults results)
    {
        var summary = results.Summary;
        text.AppendLine("## Sequential read from the page cache (1 MiB reads into a reused buffer)").AppendLine();
        var readTable = new MarkdownTable("case", ">GB/s", ">vs file read", ">CPU ms/MB", "runs (GB/s)", "what it is");
        foreach (var r in summary.Reads)
        {
            readTable.Add(r.Case, $"{r.GBps:F2}", Percent(r.VsFileRead), $"{r.CpuMsPerMB:F3}",
                string.Join(", ", r.RunsGBps.Select(g => g.ToString("F2", CultureInfo.InvariantCulture))), r.Case switch
                {
                    ReadCases.Log => "PartitionLog.Read + LogSlice.CopyTo, CRC-32C of every batch verified",
                    ReadCases.File => "the same segment files, plain 1 MiB preads (File.ReadAllBytes-style)",
                    ReadCases.Memcpy => "the same bytes copied from one in-memory array (memory bandwidth)",
                    _ => "CRC-32C of every batch from memory, nothing copied",
                });
        }
        text.AppendLine(readTable.ToString());
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Read log: {results.ReadLogBytes / 1e6:F0} MB of {Size(1024)}-record batches in {results.ReadSegments} segments.").AppendLine();
    }

    private static void AppendAppendBreakdown(StringBuilder text, StorageSummary summary)
    {
        text.AppendLine("Per append, from the writers' stopwatches and the counting device wrapped around the engine's FileStorageDevice. *rest of Append* = validation (CRC-32C of the batch), offsets, index, lock wait. *fsyncs* include the final FlushAsync and segment rolls.").AppendLine();
        var timeTable = new MarkdownTable("case", ">µs in Append()", ">µs in pwrite", ">µs rest of Append", ">fsyncs",
            ">fsyncs/s",
            ">fsync mean µs", "appends per fsync: 1 / 2–3 / 4–7 / 8+", ">cores busy");
        foreach (var a in summary.Appends)
        {
            var groups = a.Policy == FsyncPolicy.Always
                ? string.Join(" / ", new[] { a.GroupsOf1, a.GroupsOf2To3, a.GroupsOf4To7, a.GroupsOf8OrMore }.Select(Percent))
                : "—";
            timeTable.Add(a.Label, $"{a.AppendCallUs:F1}", $"{a.PwriteUs:F1}", $"{a.AppendCallUs - a.PwriteUs:F1}",
                $"{a.Fsyncs:F0}", $"{a.FsyncsPerSecond:F0}", double.IsNaN(a.FsyncMeanUs) ? "—" : $"{a.FsyncMeanUs:F0}", groups,
                $"{a.CpuCores:F2}");
        }
        text.AppendLine(timeTable.ToString());
        var groupProbe = summary.Probes.FirstOrDefault(p =>
            p.Probe == DiskProbes.GroupProbeId(StorageSettings.ConcurrentWriters));
        foreach (var a in summary.Appends.Where(a => a.Writers > 1 && groupProbe is not null))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- {a.Label}: {Percent(a.OnDiskMBps / groupProbe!.MBps)} of group commit by hand with {a.Writers} writes per fsync ({Number(groupProbe.MBps)} MB/s).");
        }
        var sync = summary.Probes.FirstOrDefault(p => p.Probe == DiskProbes.DeviceSyncProbe);
        foreach (var a in summary.Appends.Where(a => a.Writers == 1 && a.Policy == FsyncPolicy.Always && sync is not null))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- {a.Label}: {Percent(a.OnDiskMBps / sync!.MBps)} of the same pwrite + fdatasync loop without the log ({Number(sync.MBps)} MB/s).");
        }
        var sequential = summary.Probes.FirstOrDefault(p => p.Probe == DiskProbes.DeviceSequentialProbe);
        foreach (var a in summary.Appends.Where(a => a.Policy != FsyncPolicy.Always && sequential is not null))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- {a.Label}: write phase {Percent(a.AckedMBps / sequential!.WriteMBps)} of the same 16 KiB pwrites without the log ({Number(sequential.WriteMBps)} MB/s), on disk {Percent(a.OnDiskMBps / sequential.MBps)}.");
        }
        text.AppendLine();
    }

    private static void AppendReadBreakdown(StringBuilder text, StorageResults results)
    {
        var summary = results.Summary;
        var log = summary.Reads.Single(r => r.Case == ReadCases.Log);
        var crc = summary.Reads.Single(r => r.Case == ReadCases.Crc);
        var memcpy = summary.Reads.Single(r => r.Case == ReadCases.Memcpy);
        var file = summary.Reads.Single(r => r.Case == ReadCases.File);
        var batchBytes = results.Batches[^1].BatchBytes;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Log read, per 1 MiB call: {log.LookupUsPerCall:F1} µs in Read() (segment, index, header scan) and {log.CopyUsPerCall:F1} µs in CopyTo (pread + CRC-32C).");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- The engine read {log.ReadAmplification:F3} bytes from files per byte delivered, in {log.FileReadsPerCall:F2} preads per call.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- From memory: memcpy {memcpy.GBps:F2} GB/s, CRC-32C {crc.GBps:F2} GB/s; page-cache pread {file.GBps:F2} GB/s. "
            + $"A pread then a CRC of the same bytes would run at {1 / (1 / file.GBps + 1 / crc.GBps):F2} GB/s.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- CRC-32C of one {batchBytes} B batch takes {batchBytes / (crc.GBps * 1e3):F1} µs; Append validates every batch with it before taking the lock.");
    }

    private static string GoalText(AppendSummary a, IReadOnlyList<GoalResult> goals)
    {
        var goal = goals.FirstOrDefault(g => g.Case == a.Label);
        if (goal is null)
        {
            return "—";
        }
        var target = a.Writers > 1 ? GroupCommitGoal : SequentialGoal;
        return $"≥ {Percent(target)} of dd seq: {(goal.Met ? "met" : "**missed**")}";
    }

    private static string Size(int bytes) => bytes >= 1024 ? $"{bytes / 1024} KiB" : $"{bytes} B";
}
