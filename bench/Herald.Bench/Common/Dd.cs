using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Herald.Bench.Common;

/// <summary>
/// Runs coreutils <c>dd</c> and reads its summary line (<c>N bytes (...) copied, S s, R MB/s</c>). dd is the
/// reference for "what this disk can do" because it is what anyone would use to check the figures by hand; the
/// rate is recomputed from bytes and seconds rather than taken from dd's rounded, unit-switching text.
/// </summary>
internal static partial class Dd
{
    public static async Task<DdResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The C locale fixes the decimal point and the wording the summary parser expects.
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dd.");
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var text = await stderr;
            await stdout;
            var command = "dd " + string.Join(' ', arguments);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{command} exited with {process.ExitCode}: {text.Trim()}");
            }
            var match = SummaryLine().Match(text);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Could not parse the summary of {command}: {text.Trim()}");
            }
            return new DdResult(command, long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture),
                double.Parse(match.Groups["seconds"].Value, CultureInfo.InvariantCulture), match.Value.Trim());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [GeneratedRegex(@"^(?<bytes>\d+) bytes .*copied, (?<seconds>[0-9.eE+-]+) s.*$", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();
}

/// <summary>One dd run: what it copied, how long it took, and its own summary line for the record.</summary>
internal sealed record DdResult(string Command, long Bytes, double Seconds, string Summary);
