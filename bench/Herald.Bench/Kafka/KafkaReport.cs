using System.Globalization;
using System.Text;
using Herald.Bench.Common;
using Herald.Bench.Storage;
using static Herald.Bench.Common.Format;

namespace Herald.Bench.Kafka;

/// <summary>
/// Medians of a <c>kafka</c> run, the ratios to the machine's limits and the issue's goals, rendered as markdown.
/// Each column is the median of that metric on its own over the rounds, so one row may mix rounds.
/// </summary>
internal static class KafkaReport
{
    private const double RecordsGoal = 1_000_000;
    private const double BandwidthGoal = 0.70;
    private const double CpuGoalUs = 1.0;
    private const double LatencyGoalMs = 5.0;
    private const double StartupGoalSeconds = 5.0;
    private const double MemoryGoalBytes = 500e6;

    public static List<GoalResult> Goals(IReadOnlyList<LoopbackResult> loopback, IReadOnlyList<DiskProbeResult> disk,
        IReadOnlyList<ThroughputRun> produce, IReadOnlyList<LatencyRun> latency, IReadOnlyList<ScaleRun> scale)
    {
        var goals = new List<GoalResult>();
        var cases = Summarize(produce);
        var small = cases.Where(c => c.Id.Contains("-100b-", StringComparison.Ordinal)).ToList();
        if (small.Count > 0)
        {
            var best = small.MaxBy(c => c.RecordsPerSecond)!;
            goals.Add(new GoalResult("produce ≥ 1,000,000 records/s of 100 B", best.Id,
                $"{Number(best.RecordsPerSecond)} records/s ({Percent(best.RecordsPerSecond / RecordsGoal)})", best.RecordsPerSecond >= RecordsGoal));
            var worst = small.MaxBy(c => c.ServerCpuUs)!;
            goals.Add(new GoalResult("≤ 1 µs server CPU per 100 B record (every 100 B case)", worst.Id,
                $"{Fixed2(worst.ServerCpuUs)} µs (worst case)", worst.ServerCpuUs <= CpuGoalUs));
        }
        var large = cases.Where(c => c.Id.Contains("-1k-", StringComparison.Ordinal)).ToList();
        var limit = Limit(loopback, disk);
        if (large.Count > 0 && !double.IsNaN(limit))
        {
            var best = large.MaxBy(c => c.MBps)!;
            goals.Add(new GoalResult("1 KiB records ≥ 70% of min(disk, loopback)", best.Id,
                $"{Percent(best.MBps / limit)} ({Number(best.MBps)} of {Number(limit)} MB/s)", best.MBps / limit >= BandwidthGoal));
        }
        if (latency.Count > 0)
        {
            var p99 = Statistics.Median(latency.Select(l => l.P99Ms));
            goals.Add(new GoalResult("p99 end-to-end ≤ 5 ms at 10,000 records/s", KafkaBenchmark.LatencyCase, $"{Ms(p99)} ms",
                p99 <= LatencyGoalMs));
        }
        if (scale.Count > 0)
        {
            var startup = Statistics.Median(scale.Select(s => s.StartupSeconds));
            var resident = Statistics.Median(scale.Select(s => (double)s.ResidentBytes));
            goals.Add(new GoalResult("1,000 topics × 10 partitions start in ≤ 5 s", KafkaBenchmark.ScaleCase,
                $"{startup:F2} s", startup <= StartupGoalSeconds));
            goals.Add(new GoalResult("… with ≤ 500 MB resident memory", KafkaBenchmark.ScaleCase,
                $"{resident / 1e6:F0} MB", resident <= MemoryGoalBytes));
        }
        return goals;
    }

    public static string ToMarkdown(KafkaResults results)
    {
        var settings = results.Settings;
        var text = new StringBuilder();
        text.AppendLine("# Herald Kafka benchmark").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Started {results.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC on {results.Machine}.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Load average at start {results.Machine.LoadAverage}, at end {results.LoadAverageAtEnd} ({results.Machine.Cores} cores; broker and clients share them).");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- One `herald` process (Release, `--fsync {settings.Fsync}`, data directory on {results.Machine.FileSystem}); clients: {results.Client}.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"- Every figure is the median of {settings.Rounds} interleaved round(s). Produce cases run about {settings.CaseSeconds:0.#} s or {settings.CaseBytes >> 20} MiB. MB = 10^6 B of record values.");
        text.AppendLine("- CPU µs/record: user + system time (server: /proc/<pid>/stat of herald; client: the benchmark's own CPU time for the in-process producers, Python's rusage for the consumer and latency probe) over the case, divided by the records stored or received.");
        if (settings.Quick)
        {
            text.AppendLine("- **--quick smoke run: short cases and one round; the figures are indicative only.**");
        }
        text.AppendLine();

        var loopback = Statistics.Median(results.Loopback.Select(l => l.MBps));
        var disk = Statistics.Median(results.Disk.Select(d => d.MBps));
        var limit = Limit(results.Loopback, results.Disk);
        text.AppendLine("## Machine limits").AppendLine();
        var machine = new MarkdownTable("probe", ">MB/s", "runs (MB/s)");
        machine.Add("loopback TCP, one stream, 1 MiB writes", Number(loopback), Runs(results.Loopback.Select(l => l.MBps)));
        machine.Add(results.Disk.Count > 0 ? $"`{results.Disk[0].Command}`" : "dd", Number(disk), Runs(results.Disk.Select(d => d.MBps)));
        text.Append(machine).AppendLine();

        text.AppendLine("## Produce").AppendLine();
        var produce = new MarkdownTable("case", ">records/s", ">MB/s", ">vs 1M records/s", ">vs min(disk, loopback)",
            ">server CPU µs/record", ">client CPU µs/record", ">server cores", ">client cores", "runs (records/s)");
        foreach (var c in Summarize(results.Produce))
        {
            produce.Add(c.Id, Number(c.RecordsPerSecond), Number(c.MBps), Percent(c.RecordsPerSecond / RecordsGoal),
                Percent(c.MBps / limit), Fixed2(c.ServerCpuUs), Fixed2(c.ClientCpuUs), Fixed2(c.ServerCores),
                Fixed2(c.ClientCores), Runs(c.Runs));
        }
        text.Append(produce).AppendLine();
        foreach (var failed in results.Produce.Concat(results.Consume).Where(r => r.Failures.Count > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- round {failed.Round} {failed.Case}: {string.Join(" | ", failed.Failures)}");
        }

        text.AppendLine("## Consume (one consumer, 4 partitions, from the start)").AppendLine();
        var consume = new MarkdownTable("case", ">records/s", ">MB/s", ">vs min(disk, loopback)", ">server CPU µs/record",
            ">client CPU µs/record", ">client cores", "runs (records/s)");
        foreach (var c in Summarize(results.Consume))
        {
            consume.Add(c.Id, Number(c.RecordsPerSecond), Number(c.MBps), Percent(c.MBps / limit), Fixed2(c.ServerCpuUs),
                Fixed2(c.ClientCpuUs), Fixed2(c.ClientCores), Runs(c.Runs));
        }
        text.Append(consume).AppendLine();

        text.AppendLine(CultureInfo.InvariantCulture,
            $"## End-to-end latency ({KafkaSettings.LatencyRecordsPerSecond:N0} records/s of {KafkaSettings.LatencyRecordSize} B, acks=all, linger.ms=0, producer and consumer in one process)").AppendLine();
        var latency = new MarkdownTable(">samples", ">p50 ms", ">p99 ms", ">p99.9 ms", ">max ms", ">server CPU µs/record", "runs (p99 ms)");
        if (results.Latency.Count > 0)
        {
            double M(Func<LatencyRun, double> metric) => Statistics.Median(results.Latency.Select(metric));
            latency.Add(Number(M(l => l.Samples)), Ms(M(l => l.P50Ms)), Ms(M(l => l.P99Ms)), Ms(M(l => l.P999Ms)),
                Ms(M(l => l.MaxMs)), Fixed2(M(l => l.ServerCpuSeconds * 1e6 / l.Records)), Runs(results.Latency.Select(l => l.P99Ms)));
        }
        text.Append(latency).AppendLine();

        text.AppendLine(CultureInfo.InvariantCulture,
            $"## Scale ({KafkaSettings.ScaleTopics:N0} topics × {KafkaSettings.ScalePartitions} partitions, restarted)").AppendLine();
        if (results.ScaleSetup is { } setup)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Creating the topics took {setup.CreateSeconds:F1} s (admin API, 100 per request); the clean shutdown after it {Seconds(setup.ShutdownSeconds)}.").AppendLine();
        }
        var scale = new MarkdownTable(">startup s (to the kafka ready line)", ">resident MB (VmRSS)", ">clean shutdown s", "runs (startup s)");
        if (results.Scale.Count > 0)
        {
            scale.Add(Statistics.Median(results.Scale.Select(s => s.StartupSeconds)).ToString("F2", CultureInfo.InvariantCulture),
                Number(Statistics.Median(results.Scale.Select(s => s.ResidentBytes / 1e6))),
                Seconds(Statistics.Median(results.Scale.Select(s => s.ShutdownSeconds))), Runs(results.Scale.Select(s => s.StartupSeconds)));
        }
        text.Append(scale).AppendLine();

        text.AppendLine("## Goals (from the issue)").AppendLine();
        var goals = new MarkdownTable("goal", "case", "measured", "met");
        foreach (var goal in results.Goals)
        {
            goals.Add(goal.Goal, goal.Case, goal.Measured, goal.Met ? "yes" : "**no**");
        }
        text.Append(goals);
        return text.ToString();
    }

    /// <summary>The bandwidth a 1 KiB produce stream is judged against: the smaller of the disk and loopback.</summary>
    private static double Limit(IReadOnlyList<LoopbackResult> loopback, IReadOnlyList<DiskProbeResult> disk) =>
        Math.Min(Statistics.Median(loopback.Select(l => l.MBps)), Statistics.Median(disk.Select(d => d.MBps)));

    private static List<CaseSummary> Summarize(IReadOnlyList<ThroughputRun> runs) =>
        runs.GroupBy(r => r.Case).Select(g =>
        {
            double M(Func<ThroughputRun, double> metric) => Statistics.Median(g.Select(metric));
            return new CaseSummary(g.Key, M(r => r.RecordsPerSecond), M(r => r.MBps), M(r => r.ServerCpuUsPerRecord),
                M(r => r.ClientCpuUsPerRecord), M(r => r.ServerCores), M(r => r.ClientCores), g.Select(r => r.RecordsPerSecond).ToArray());
        }).ToList();

    private static string Runs(IEnumerable<double> values) => string.Join(", ", values.Select(Number));

    private static string Seconds(double seconds) => double.IsNaN(seconds) ? "did not finish (killed)" : $"{seconds:F1} s";

    private sealed record CaseSummary(string Id, double RecordsPerSecond, double MBps, double ServerCpuUs, double ClientCpuUs,
        double ServerCores, double ClientCores, IReadOnlyList<double> Runs);
}
