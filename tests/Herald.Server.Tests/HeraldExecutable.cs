using System.Collections;
using System.Net;
using System.Text.RegularExpressions;
using Herald.TestKit;

namespace Herald.Server.Tests;

/// <summary>
/// Starts the real <c>herald</c> executable as a child process: the <c>herald.dll</c> that the project reference
/// copies next to the tests, so Debug and Release runs each use their own build. The child sees no
/// <c>HERALD_*</c> variables from the test's environment, only those a test passes. The caller disposes the runner,
/// which kills the process by id if it is still running.
/// </summary>
internal static partial class HeraldExecutable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    public static string AssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "herald.dll");

    public static ProcessRunner Start(
        IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.True(File.Exists(AssemblyPath), $"{AssemblyPath} is missing; the project reference should copy it.");
        var childEnvironment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (((string)variable.Key).StartsWith("HERALD_", StringComparison.Ordinal))
            {
                // A null value removes the variable from the child's environment.
                childEnvironment[(string)variable.Key] = null;
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            childEnvironment[name] = value;
        }

        return ProcessRunner.StartDotnet(AssemblyPath, arguments, workingDirectory, childEnvironment);
    }

    /// <summary>Waits for <c>herald: PROTOCOL listening on ADDRESS:PORT</c> and returns the endpoint.</summary>
    public static async Task<IPEndPoint> WaitForListenerAsync(this ProcessRunner herald, string protocol)
    {
        var line = await herald.WaitForLineAsync(
            l => ListeningLine().Match(l) is { Success: true } m && m.Groups["protocol"].Value == protocol, StartTimeout);
        var match = ListeningLine().Match(line);
        return new IPEndPoint(IPAddress.Parse(match.Groups["address"].Value.Trim('[', ']')), int.Parse(match.Groups["port"].Value));
    }

    /// <summary>The ready line scripts parse; its format is part of herald's interface.</summary>
    [GeneratedRegex(@"^herald: (?<protocol>[a-z]+) listening on (?<address>\S+):(?<port>\d+)$")]
    public static partial Regex ListeningLine();
}
