using System.Text.Json;
using Herald.TestKit;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// Runs the pika and amqplib messaging scenario scripts (<c>clients/python/pika_messaging.py</c>,
/// <c>clients/node/messaging_scenarios.cjs</c>, in the source tree) against a port and parses the JSON line they
/// print. pika is the Debian package (system Python by absolute path); amqplib is installed by <c>npm ci</c> in
/// <c>clients/node</c> (run-tests does it).
/// </summary>
internal static class ScriptClients
{
    private const string SystemPython = "/usr/bin/python3";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>The scripts in the source tree (amqplib's node_modules live there, installed by npm ci).</summary>
    internal static string ClientsDirectory { get; } = FindClients();

    private static string FindClients()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
            {
                return Path.Combine(directory.FullName, "tests", "Herald.Frontends.Amqp.Tests", "clients");
            }
        }
        throw new InvalidOperationException("The repository root (Herald.slnx) is not above the test binaries.");
    }

    public static Task<JsonElement> PikaAsync(int port, string scenario) =>
        RunAsync(SystemPython, [Path.Combine(ClientsDirectory, "python", "pika_messaging.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), scenario, Unique()], null);

    public static Task<JsonElement> AmqplibAsync(int port, string scenario)
    {
        var node = Path.Combine(ClientsDirectory, "node");
        Assert.True(Directory.Exists(Path.Combine(node, "node_modules", "amqplib")),
            $"amqplib is missing: run 'npm ci' in {node} (./run-tests does)");
        return RunAsync("node", [Path.Combine(node, "messaging_scenarios.cjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), scenario, Unique()], node);
    }

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private static async Task<JsonElement> RunAsync(string program, string[] arguments, string? workingDirectory)
    {
        using var process = ProcessRunner.Start(program, arguments, workingDirectory);
        var exitCode = await process.WaitForExitAsync(Limit);
        var output = process.StandardOutputLines;
        Assert.True(exitCode == 0 && output.Count > 0,
            $"{Path.GetFileName(arguments[0])} exited with {exitCode}: {string.Join('\n', process.StandardErrorLines.TakeLast(20))}");
        return JsonDocument.Parse(output[^1]).RootElement.Clone();
    }
}
