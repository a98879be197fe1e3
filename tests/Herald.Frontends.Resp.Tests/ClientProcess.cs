using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Herald.Frontends.Resp.Tests;

/// <summary>What a client process printed and how it ended.</summary>
public sealed record ClientResult(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the client tools and scripts the tests drive (redis-cli, python3, node) with a deadline, optionally feeding
/// standard input, and finds the scripts under <c>clients/</c> in the source tree.
/// </summary>
public static class ClientProcess
{
    /// <summary>Debian's interpreter, which has python3-redis; a pyenv or venv python3 on the PATH may not.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>This project's <c>clients/</c> folder in the source tree, wherever the build put the binaries.</summary>
    public static string ClientsDirectory { get; } = Path.Combine(SourceDirectory(), "clients");

    /// <summary>The repository root, where the specs are found relative to (<c>../shared</c>).</summary>
    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(SourceDirectory(), "..", ".."));

    public static async Task<ClientResult> RunAsync(string fileName, IEnumerable<string> arguments, byte[]? input = null, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            WorkingDirectory = ClientsDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
        }
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish in time:\n{await output}\n{await error}");
        }
        return new ClientResult(process.ExitCode, await output, await error);
    }

    public static Task<ClientResult> RedisCliAsync(int port, params string[] arguments) =>
        RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments]);

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
