using System.Globalization;
using Herald.Bench.Cli;
using Herald.Bench.Common;
using Herald.TestKit;

namespace Herald.Bench.Resp;

/// <summary>
/// <c>resp</c>: redis-benchmark against redis-server and against Herald (fsync=interval and fsync=always), all three
/// running at once as separate processes and measured in turn, the order rotating every round. Reports throughput
/// and each server's CPU time per command (user+system of the server process / commands: the steadiest figure on a
/// shared machine), a consumer-group read loop (XREADGROUP + XACK), and resident memory after a long stream.
/// Redis keeps streams in memory only; Herald's are durable, which is why both fsync policies are shown.
/// </summary>
internal sealed class RespBenchmark : IBenchCommand
{
    private const int Clients = 50;
    private const int GroupConsumers = 10;
    private const int GroupCount = 10;

    public string Name => "resp";

    public string Summary => "redis-benchmark vs redis-server: PING, PUBLISH, XADD, group reads, CPU per command, stream memory";

    public string Usage =>
        "usage: bench/run resp [--rounds <n>] [--out <file>] [--only <text>] [--quick]\n"
        + "case ids: ping, ping-p16, publish, publish-p16, xadd, xadd-p16, group, memory\n"
        + BenchOptions.CommonUsage;

    private static readonly RespCase[] Cases =
    [
        new("ping", "PING", 1, ["PING"]),
        new("ping-p16", "PING -P 16", 16, ["PING"]),
        new("publish", "PUBLISH", 1, ["PUBLISH", "bench-channel", "hello"]),
        new("publish-p16", "PUBLISH -P 16", 16, ["PUBLISH", "bench-channel", "hello"]),
        new("xadd", "XADD", 1, ["XADD", "bench-xadd", "*", "field", "value"]),
        new("xadd-p16", "XADD -P 16", 16, ["XADD", "bench-xadd", "*", "field", "value"]),
    ];

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = BenchOptions.Parse(args);
        var requests = options.Quick ? 20_000 : 200_000;
        var groupEntries = options.Quick ? 10_000 : 100_000;
        var memoryEntries = options.Quick ? 100_000 : 1_000_000;
        var started = DateTimeOffset.UtcNow;
        var root = RepositoryPaths.CreateRunDirectory(options.Directory, Name, started);
        var machine = MachineInfo.Describe(root);
        Progress($"machine: {machine}");
        Progress($"load average: {machine.LoadAverage} (other work on the machine makes the figures noisy)");

        var servers = new List<(ServerProcess Server, int Port)>();
        var runs = new List<RespRun>();
        var memory = new List<MemoryRun>();
        try
        {
            await StartServersAsync(servers, root, "");
            var failed = new HashSet<(string Case, string Server)>();
            // One unrecorded pass of every case, so Herald's code is jitted and tiered up before anything is measured
            // (a fresh .NET process spends a large share of its first seconds in the JIT).
            foreach (var respCase in Cases.Where(c => options.Includes(c.Id)))
            {
                foreach (var (server, port) in servers)
                {
                    await MeasureAsync(server, port, respCase, requests, 0, cancellationToken);
                }
            }
            if (options.Includes("group"))
            {
                // The group loop's commands (XGROUP, XREADGROUP, XACK) too: unwarmed, its first round measured the JIT.
                foreach (var (server, port) in servers)
                {
                    await MeasureGroupLoopAsync(server, port, groupEntries, 0, cancellationToken);
                }
            }
            Progress("warm-up done");
            for (var round = 1; round <= options.Rounds; round++)
            {
                // Rotate which server goes first, so slow drift on the machine does not always favour the same one.
                var order = servers.Skip((round - 1) % servers.Count).Concat(servers.Take((round - 1) % servers.Count)).ToList();
                foreach (var respCase in Cases.Where(c => options.Includes(c.Id)))
                {
                    foreach (var (server, port) in order.Where(s => !failed.Contains((respCase.Id, s.Server.Name))))
                    {
                        var run = await MeasureAsync(server, port, respCase, requests, round, cancellationToken);
                        Progress($"[round {round}] {respCase.Label} on {server.Name}: " + (run.Error ?? $"{run.PerSecond:F0}/s, {run.CpuMicrosPerCommand:F2} µs CPU per command"));
                        runs.Add(run);
                        if (run.Error is not null)
                        {
                            failed.Add((respCase.Id, server.Name));
                        }
                    }
                }
                if (options.Includes("group"))
                {
                    foreach (var (server, port) in order.Where(s => !failed.Contains(("group", s.Server.Name))))
                    {
                        var run = await MeasureGroupLoopAsync(server, port, groupEntries, round, cancellationToken);
                        Progress($"[round {round}] group loop on {server.Name}: " + (run.Error ?? $"{run.PerSecond:F0} entries/s, {run.CpuMicrosPerCommand:F2} µs CPU per command"));
                        runs.Add(run);
                        if (run.Error is not null)
                        {
                            failed.Add(("group", server.Name));
                        }
                    }
                }
            }
            if (options.Includes("memory"))
            {
                // On fresh servers: what one 1M-entry stream costs, not that plus the streams and heap growth the
                // throughput cases left behind (which favoured neither server but blurred the figure).
                await StopServersAsync(servers);
                await StartServersAsync(servers, root, "-memory");
                foreach (var (server, port) in servers)
                {
                    var run = await MeasureMemoryAsync(server, port, memoryEntries, cancellationToken);
                    Progress($"memory on {server.Name}: " + (run.Error ?? $"{run.ResidentBytesBefore >> 20} MiB -> {run.ResidentBytesAfter >> 20} MiB after {memoryEntries} entries"));
                    memory.Add(run);
                }
            }
        }
        finally
        {
            await StopServersAsync(servers);
            Directory.Delete(root, recursive: true);
        }

        var results = new RespResults(started, machine, MachineInfo.ReadLoadAverage(), requests, Clients, groupEntries, memoryEntries, runs, memory);
        Console.Out.Write(RespReport.ToMarkdown(results));
        var path = ResultsFile.Write(Name, results, options.Output, started);
        Progress($"results written to {path}");
        return ExitCodes.Ok;
    }

    private static async Task<RespRun> MeasureAsync(ServerProcess server, int port, RespCase respCase, int requests, int round,
        CancellationToken cancellationToken)
    {
        var cpu = server.CpuSeconds();
        try
        {
            var perSecond = await RedisBenchmarkTool.RequestsPerSecondAsync(port, Clients, requests, respCase.Pipeline, respCase.Command, cancellationToken);
            return new RespRun(respCase.Id, server.Name, round, perSecond, (server.CpuSeconds() - cpu) * 1e6 / requests, null);
        }
        catch (InvalidOperationException e)
        {
            return new RespRun(respCase.Id, server.Name, round, double.NaN, double.NaN, e.Message);
        }
    }

    private static async Task<RespRun> MeasureGroupLoopAsync(ServerProcess server, int port, int entries, int round,
        CancellationToken cancellationToken)
    {
        var key = $"bench-group-{round}";
        try
        {
            await RedisBenchmarkTool.RequestsPerSecondAsync(port, Clients, entries, 16, ["XADD", key, "*", "field", "value"], cancellationToken);
            using (var admin = new RespBenchClient(port))
            {
                admin.Call("XGROUP", "CREATE", key, "bench", "0");
            }
            var cpu = server.CpuSeconds();
            var clock = CpuStopwatch.StartNew();
            var (read, commands) = await StreamGroupLoop.RunAsync(port, key, GroupConsumers, GroupCount, cancellationToken);
            var seconds = clock.ElapsedSeconds;
            if (read != entries)
            {
                return new RespRun("group", server.Name, round, double.NaN, double.NaN, $"read {read} of {entries} entries");
            }
            return new RespRun("group", server.Name, round, read / seconds, (server.CpuSeconds() - cpu) * 1e6 / commands, null);
        }
        catch (InvalidOperationException e)
        {
            return new RespRun("group", server.Name, round, double.NaN, double.NaN, e.Message);
        }
    }

    /// <summary>redis-server and Herald under both fsync policies, each with a data directory named with <paramref name="suffix"/>.</summary>
    private static async Task StartServersAsync(List<(ServerProcess Server, int Port)> servers, string root, string suffix)
    {
        servers.Add(await StartRedisAsync());
        servers.Add(await ServerProcess.StartHeraldAsync("herald-interval", Path.Combine(root, "herald-interval" + suffix), "interval", "resp"));
        servers.Add(await ServerProcess.StartHeraldAsync("herald-always", Path.Combine(root, "herald-always" + suffix), "always", "resp"));
    }

    private static async Task StopServersAsync(List<(ServerProcess Server, int Port)> servers)
    {
        foreach (var (server, _) in servers)
        {
            await server.DisposeAsync();
        }
        servers.Clear();
    }

    private static async Task<MemoryRun> MeasureMemoryAsync(ServerProcess server, int port, int entries, CancellationToken cancellationToken)
    {
        var before = server.ResidentBytes();
        try
        {
            await RedisBenchmarkTool.RequestsPerSecondAsync(port, Clients, entries, 16,
                ["XADD", "bench-memory", "*", "field", "sixteen-byte-val"], cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken); // let a collection settle
            return new MemoryRun(server.Name, entries, before, server.ResidentBytes(), null);
        }
        catch (InvalidOperationException e)
        {
            return new MemoryRun(server.Name, entries, before, 0, e.Message);
        }
    }

    private static async Task<(ServerProcess Server, int Port)> StartRedisAsync()
    {
        var port = ProcessRunner.FreePort();
        var server = await ServerProcess.StartAsync("redis-server", "redis-server",
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            "Ready to accept connections");
        return (server, port);
    }

    private static void Progress(string message) => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");
}

/// <summary>One redis-benchmark command line: its id for --only, its label, pipeline depth and command.</summary>
internal sealed record RespCase(string Id, string Label, int Pipeline, string[] Command);

/// <summary>One case on one server in one round; <see cref="Error"/> is set when the server refused the command.</summary>
internal sealed record RespRun(string Case, string Server, int Round, double PerSecond, double CpuMicrosPerCommand, string? Error);

internal sealed record MemoryRun(string Server, int Entries, long ResidentBytesBefore, long ResidentBytesAfter, string? Error);

internal sealed record RespResults(DateTimeOffset Started, MachineInfo Machine, string LoadAverageAtEnd, int RequestsPerRun,
    int Clients, int GroupEntries, int MemoryEntries, IReadOnlyList<RespRun> Runs, IReadOnlyList<MemoryRun> Memory);
