using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Herald.Bench.Resp;

/// <summary>
/// Runs Redis's own load generator, <c>redis-benchmark</c> (Debian redis-tools), and reads its quiet-mode summary
/// (<c>NAME: R requests per second, p50=...</c>). Using the reference tool for both servers means neither is measured
/// with a client written to suit it. A reply error stops redis-benchmark and is reported as a failure, so a command
/// the server does not support can never pass for a fast one.
/// </summary>
internal static partial class RedisBenchmarkTool
{
    public static async Task<double> RequestsPerSecondAsync(int port, int clients, long requests, int pipeline,
        IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-benchmark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments = ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-n", requests.ToString(CultureInfo.InvariantCulture), "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-q"];
        foreach (var argument in arguments.Concat(command))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-benchmark.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = (await stdout).Replace('\r', '\n') + (await stderr).Replace('\r', '\n');
        var error = text.Split('\n').FirstOrDefault(line => line.Contains("Error from server", StringComparison.Ordinal)
            || line.StartsWith("ERR", StringComparison.Ordinal));
        if (error is not null)
        {
            throw new InvalidOperationException($"redis-benchmark {string.Join(' ', command)} on port {port}: {error.Trim()}");
        }
        var match = SummaryLine().Match(text);
        if (process.ExitCode != 0 || !match.Success)
        {
            throw new InvalidOperationException($"redis-benchmark exited with {process.ExitCode}: {text.Trim()}");
        }
        return double.Parse(match.Groups["rps"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@": (?<rps>[0-9.]+) requests per second")]
    private static partial Regex SummaryLine();
}
