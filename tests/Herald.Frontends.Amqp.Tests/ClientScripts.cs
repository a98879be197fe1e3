using System.Globalization;
using System.Runtime.CompilerServices;
using Herald.TestKit;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// Runs the client scripts under <c>clients/</c> (pika with Debian's python3, amqplib with node) for one scenario
/// against a port and returns what they printed. Each script prints <c>key=value</c> lines and exits 0 unless the
/// scenario itself went wrong.
/// </summary>
public static class ClientScripts
{
    /// <summary>Debian's interpreter, which has python3-pika; a pyenv or venv python3 on the PATH may not.</summary>
    public const string Python = "/usr/bin/python3";

    public static string ClientsDirectory { get; } = Path.Combine(SourceDirectory(), "clients");

    public static Task<IReadOnlyList<string>> PikaAsync(string scenario, int port) =>
        RunAsync(Python, Path.Combine(ClientsDirectory, "python", "pika_client.py"), scenario, port);

    public static Task<IReadOnlyList<string>> AmqplibAsync(string scenario, int port) =>
        RunAsync("node", Path.Combine(ClientsDirectory, "node", "amqplib_client.mjs"), scenario, port);

    private static async Task<IReadOnlyList<string>> RunAsync(string interpreter, string script, string scenario, int port)
    {
        using var process = ProcessRunner.Start(interpreter, [script, scenario, port.ToString(CultureInfo.InvariantCulture)], ClientsDirectory);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var output = process.StandardOutputLines;
        Assert.True(exit == 0, $"{Path.GetFileName(script)} {scenario} exited {exit}:\n{string.Join('\n', output)}\n{string.Join('\n', process.StandardErrorLines)}");
        return output;
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
