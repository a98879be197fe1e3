using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Herald.Bench.Common;
using Herald.TestKit;

namespace Herald.Bench.Kafka;

/// <summary>
/// A real <c>herald</c> process for the benchmark: the Release <c>herald.dll</c> that the benchmark's project
/// reference builds, started with its own data directory, on 127.0.0.1 with every port chosen by the OS, and stopped by
/// PID (SIGTERM, then SIGKILL if it overruns). <see cref="StartupSeconds"/> runs from starting the process to the
/// Kafka listener's ready line, which is what the scale goal ("starts up in ≤ 5 s") measures.
/// The caller disposes it; not thread-safe.
/// </summary>
internal sealed partial class HeraldProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly ProcessRunner _runner;

    private HeraldProcess(ProcessRunner runner, IPEndPoint kafka, double startupSeconds)
    {
        _runner = runner;
        Kafka = kafka;
        StartupSeconds = startupSeconds;
    }

    /// <summary>The Release build's herald.dll, which the benchmark's project reference builds (not copies).</summary>
    public static string AssemblyPath { get; } =
        Path.Combine(RepositoryPaths.Root, "src", "Herald.Server", "bin", "Release", "net10.0", "herald.dll");

    public IPEndPoint Kafka { get; }

    public string Bootstrap => $"{Kafka.Address}:{Kafka.Port}";

    public int ProcessId => _runner.ProcessId;

    public double StartupSeconds { get; }

    public static async Task<HeraldProcess> StartAsync(string dataDirectory, string fsync)
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new FileNotFoundException($"{AssemblyPath} is missing; build the benchmark in Release (bench/run does).");
        }
        string[] arguments = ["--data-dir", dataDirectory, "--bind", "127.0.0.1", "--kafka-port", "0", "--resp-port", "0",
            "--amqp-port", "0", "--http-port", "0", "--fsync", fsync];
        // Only the flags above configure it: HERALD_* variables of the caller's shell are removed.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("HERALD_", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null, StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var runner = ProcessRunner.StartDotnet(AssemblyPath, arguments, Path.GetDirectoryName(dataDirectory), environment);
        try
        {
            var line = await runner.WaitForLineAsync(l => ListeningLine().Match(l) is { Success: true } m &&
                m.Groups["protocol"].Value == "kafka", StartTimeout);
            var startup = clock.Elapsed.TotalSeconds;
            var match = ListeningLine().Match(line);
            var endpoint = new IPEndPoint(IPAddress.Parse(match.Groups["address"].Value.Trim('[', ']')),
                int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
            return new HeraldProcess(runner, endpoint, startup);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
    }

    /// <summary>Resident memory (VmRSS) in bytes.</summary>
    public long ResidentBytes() => ProcessStats.ResidentBytes(ProcessId);

    /// <summary>SIGTERM and wait for a clean exit; returns the seconds it took, or NaN if it had to be killed.</summary>
    public async Task<double> StopAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        _runner.SignalTerm();
        try
        {
            await _runner.WaitForExitAsync(timeout);
            return clock.Elapsed.TotalSeconds;
        }
        catch (TimeoutException)
        {
            _runner.KillHard();
            return double.NaN;
        }
    }

    public void Dispose() => _runner.Dispose();

    /// <summary>herald's ready line (part of its interface, as in tests/Herald.Server.Tests/HeraldExecutable.cs).</summary>
    [GeneratedRegex(@"^herald: (?<protocol>[a-z]+) listening on (?<address>\S+):(?<port>\d+)$")]
    private static partial Regex ListeningLine();
}
