using System.Diagnostics;
using Herald.Bench.Cli;
using Herald.Bench.Common;
using Herald.Broker.Groups;
using Herald.Storage;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Bench.Groups;

/// <summary>
/// <c>groups</c>: the consumer-group coordinator driven in-process through its broker API (<see cref="GroupCoordinator"/>,
/// no wire protocol: this measures the coordinator and the offsets log, not Kafka framing), on real storage with
/// fsync <c>always</c> in a temporary directory and the real clock.
/// <list type="bullet">
/// <item><b>form-N</b>: N members join a new group at once; time until every member has its assignment (Stable).
/// Kafka's initial delay (3 s) applies, and since the other N-1 joined during it, Kafka extends it once
/// (InitialDelayedJoin): the floor is one delay for N = 1 and two for N &gt; 1. The overhead column is the rest.</item>
/// <item><b>join-N</b>: one member joins a Stable group of N-1; the others hear REBALANCE_IN_PROGRESS on their next
/// heartbeat (sent at once here; real clients wait up to their heartbeat interval) and rejoin; time until all N
/// have their assignment. No initial delay applies to a group with members.</item>
/// <item><b>commit-C</b>: C committers, each awaiting its previous commit (one partition per commit, as
/// OffsetCommit with one partition), against a Stable group; commits per second and latency percentiles.</item>
/// </list>
/// </summary>
internal sealed class GroupsBenchmark : IBenchCommand
{
    private static readonly int[] FormSizes = [1, 10, 50];
    private static readonly int[] JoinSizes = [10, 50];
    private static readonly int[] Committers = [1, 64, 512];

    public string Name => "groups";

    public string Summary => "consumer groups: rebalance latency for 1, 10, 50 members and commits per second";

    public string Usage =>
        "usage: bench/run groups [--dir <path>] [--seconds <n>] [--rounds <n>] [--out <file>] [--only <text>] [--quick]\n"
        + "  --quick uses a 300 ms initial delay instead of Kafka's 3 s\n"
        + BenchOptions.CommonUsage;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = BenchOptions.Parse(args);
        var delay = options.Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(3);
        var started = DateTimeOffset.UtcNow;
        var parent = Path.GetFullPath(options.Directory ?? RepositoryPaths.ArtifactsBench);
        var root = Path.Combine(parent, $"groups-{started.UtcDateTime:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        var machine = MachineInfo.Describe(root);
        Progress($"machine: {machine}");
        var rebalances = new List<RebalanceRun>();
        var commits = new List<CommitRun>();
        try
        {
            var storage = StorageEngine.Open(new StorageEngineOptions
            {
                DataDirectory = root,
                DefaultLogOptions = LogOptions.Default with { Fsync = FsyncPolicy.Always },
            });
            await using (storage)
            {
                using var coordinator = new GroupCoordinator(new CommittedOffsetStore(storage, TimeProvider.System),
                    new GroupCoordinatorOptions { InitialRebalanceDelay = delay }, TimeProvider.System, NullLogger.Instance);
                coordinator.Load();
                var driver = new GroupDriver(coordinator);
                // Warm-up: tiering and the thread pool settle before anything is recorded.
                await driver.FormAsync("warm-up", 10);
                await MeasureCommitsAsync(driver, 64, TimeSpan.FromSeconds(Math.Min(1, options.Seconds)), 0);
                for (var round = 1; round <= options.Rounds; round++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var n in FormSizes.Where(n => options.Includes($"form-{n}")))
                    {
                        var elapsed = await driver.FormAsync($"form-{n}-{round}", n);
                        var floor = n == 1 ? delay : 2 * delay;
                        rebalances.Add(Report(new RebalanceRun($"form-{n}", round, n, elapsed.TotalMilliseconds, floor.TotalMilliseconds)));
                    }
                    foreach (var n in JoinSizes.Where(n => options.Includes($"join-{n}")))
                    {
                        var elapsed = await driver.JoinStableAsync($"join-{n}-{round}", n);
                        rebalances.Add(Report(new RebalanceRun($"join-{n}", round, n, elapsed.TotalMilliseconds, 0)));
                    }
                    foreach (var c in Committers.Where(c => options.Includes($"commit-{c}")))
                    {
                        var run = await MeasureCommitsAsync(driver, c, TimeSpan.FromSeconds(options.Seconds), round);
                        Progress($"[round {round}] commit-{c}: {run.CommitsPerSecond:F0} commits/s, p50 {run.P50Ms:F2} ms, p99 {run.P99Ms:F2} ms");
                        commits.Add(run);
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        var results = new GroupsResults(started, machine, MachineInfo.ReadLoadAverage(), delay.TotalMilliseconds, rebalances, commits);
        Console.Out.Write(ToMarkdown(results));
        Progress($"results written to {ResultsFile.Write(Name, results, options.Output, started)}");
        return ExitCodes.Ok;
    }

    private static async Task<CommitRun> MeasureCommitsAsync(GroupDriver driver, int committers, TimeSpan duration, int round)
    {
        var (groupId, memberId, generation) = await driver.StableGroupForCommitsAsync($"commits-{committers}-{round}");
        var latencies = new List<long>[committers];
        var cpu = CpuStopwatch.StartNew();
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = Enumerable.Range(0, committers).Select(async i =>
        {
            var own = latencies[i] = new List<long>(4096);
            await Task.Yield();
            for (long offset = 1; Stopwatch.GetTimestamp() < stopAt; offset++)
            {
                var start = Stopwatch.GetTimestamp();
                var error = await driver.Coordinator.CommitAsync(groupId, memberId, null, generation,
                    [new OffsetChange("bench", i, new CommittedOffset(offset, -1, null, 0))]);
                if (error != GroupError.None)
                {
                    throw new InvalidOperationException($"commit refused: {error}");
                }
                own.Add(Stopwatch.GetTimestamp() - start);
            }
        }).ToArray();
        await Task.WhenAll(loops);
        var sample = cpu.Sample();
        var all = latencies.SelectMany(l => l).Order().ToList();
        double ToMs(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new CommitRun($"commit-{committers}", round, committers, all.Count, sample.WallSeconds, all.Count / sample.WallSeconds,
            ToMs(Statistics.Percentile(all, 50)), ToMs(Statistics.Percentile(all, 99)), sample.CpuSeconds * 1e6 / Math.Max(1, all.Count));
    }

    private static string ToMarkdown(GroupsResults results)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("# groups").AppendLine();
        text.AppendLine($"machine: {results.Machine}; load average at the end: {results.LoadAverageAtEnd}; initial delay {results.InitialDelayMs} ms; "
            + "driven in-process through GroupCoordinator (no wire protocol), fsync always").AppendLine();
        var rebalance = new MarkdownTable("case", ">members", ">median ms", ">floor ms", ">overhead ms", ">goal ms");
        foreach (var byCase in results.Rebalances.GroupBy(r => r.Case))
        {
            var median = Statistics.Median(byCase.Select(r => r.ElapsedMs));
            var floor = byCase.First().FloorMs;
            var goal = byCase.Key.StartsWith("form", StringComparison.Ordinal) ? results.InitialDelayMs + 100 : 100;
            rebalance.Add(byCase.Key, $"{byCase.First().Members}", $"{median:F1}", $"{floor:F0}", $"{median - floor:F1}", $"{goal:F0}");
        }
        text.AppendLine(rebalance.ToString()).AppendLine();
        var commit = new MarkdownTable("case", ">committers", ">commits/s", ">p50 ms", ">p99 ms", ">CPU µs/commit", ">goal/s");
        foreach (var byCase in results.Commits.GroupBy(c => c.Case))
        {
            commit.Add(byCase.Key, $"{byCase.First().Committers}", $"{Statistics.Median(byCase.Select(c => c.CommitsPerSecond)):F0}",
                $"{Statistics.Median(byCase.Select(c => c.P50Ms)):F2}", $"{Statistics.Median(byCase.Select(c => c.P99Ms)):F2}",
                $"{Statistics.Median(byCase.Select(c => c.CpuMicrosecondsPerCommit)):F1}", "50000");
        }
        text.AppendLine(commit.ToString());
        return text.ToString();
    }

    private static RebalanceRun Report(RebalanceRun run)
    {
        Progress($"[round {run.Round}] {run.Case}: {run.ElapsedMs:F1} ms (floor {run.FloorMs:F0} ms)");
        return run;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");
}

internal sealed record RebalanceRun(string Case, int Round, int Members, double ElapsedMs, double FloorMs);

internal sealed record CommitRun(string Case, int Round, int Committers, long Commits, double Seconds, double CommitsPerSecond,
    double P50Ms, double P99Ms, double CpuMicrosecondsPerCommit);

internal sealed record GroupsResults(DateTimeOffset Started, MachineInfo Machine, string LoadAverageAtEnd, double InitialDelayMs,
    IReadOnlyList<RebalanceRun> Rebalances, IReadOnlyList<CommitRun> Commits);
