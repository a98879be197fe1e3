using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>What a client tool printed and how it exited.</summary>
public sealed record ClientResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";

    /// <summary>The JSON report the client scripts print as their last line of output.</summary>
    public JsonElement Report()
    {
        Assert.True(ExitCode == 0, Describe());
        var last = StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return JsonDocument.Parse(last).RootElement;
    }
}

/// <summary>
/// Runs a client tool (kcat, python3, node) to completion with an optional standard input and a time limit, then
/// kills it by id if it overran. The Debian clients are called by absolute path so a Python from pyenv or similar on
/// the PATH cannot shadow the system one that has the Debian client modules.
/// </summary>
public static class ClientProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public const string Kcat = "/usr/bin/kcat";
    public const string Python = "/usr/bin/python3";

    public static async Task<ClientResult> RunAsync(string fileName, IEnumerable<string> arguments, string? standardInput = null,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        Assert.True(File.Exists(fileName) || !Path.IsPathRooted(fileName), $"{fileName} is missing; ./run-tests installs the client tools.");
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new ClientResult(-1, await output, await error + $"\n(killed after {timeout ?? DefaultTimeout})");
        }
        return new ClientResult(process.ExitCode, await output, await error);
    }

    /// <summary>Runs one of the Python scripts copied next to the tests (Clients/*.py) with the system Python.</summary>
    public static Task<ClientResult> PythonScriptAsync(string script, params string[] arguments) =>
        RunAsync(Python, [Path.Combine(AppContext.BaseDirectory, "Clients", script), .. arguments]);

    /// <summary>The repository root: the nearest ancestor of the test binaries holding Herald.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("No Herald.slnx above the test binaries.");
    }

    /// <summary>Text as kcat reads it: one record per line.</summary>
    public static string Lines(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }
        return text.ToString();
    }
}
