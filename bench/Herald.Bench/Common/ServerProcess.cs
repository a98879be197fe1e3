using System.Globalization;
using Herald.TestKit;

namespace Herald.Bench.Common;

/// <summary>
/// A server under test run as its own process (Herald's <c>herald</c> executable or a reference server such as
/// redis-server): started with its arguments through TestKit's <see cref="ProcessRunner"/>, ready once a line of
/// its output contains a given text, measured through <see cref="ProcessStats"/>, and stopped by PID (SIGTERM,
/// then SIGKILL after 10 s).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly ProcessRunner _runner;

    private ServerProcess(string name, ProcessRunner runner)
    {
        Name = name;
        _runner = runner;
    }

    public string Name { get; }

    public int Pid => _runner.ProcessId;

    /// <summary>The herald executable of the Release build (built with the benchmark through a project reference).</summary>
    public static string HeraldExecutable =>
        Path.Combine(RepositoryPaths.Root, "src", "Herald.Server", "bin", "Release", "net10.0", "herald");

    /// <summary>
    /// Starts a Herald server with its data in <paramref name="dataDirectory"/>, on 127.0.0.1, serving
    /// <paramref name="protocol"/> (<c>amqp</c>, <c>resp</c>, <c>kafka</c>) on a free port and every other listener on a
    /// port the OS picks; ready once it prints its <c>herald: PROTOCOL listening</c> line.
    /// </summary>
    public static async Task<(ServerProcess Server, int Port)> StartHeraldAsync(string name, string dataDirectory,
        string fsync, string protocol)
    {
        var port = ProcessRunner.FreePort();
        var arguments = new List<string> { "--data-dir", dataDirectory, "--bind", "127.0.0.1", "--fsync", fsync };
        foreach (var listener in new[] { "kafka", "amqp", "resp", "http" })
        {
            arguments.AddRange([$"--{listener}-port", listener == protocol ? port.ToString(CultureInfo.InvariantCulture) : "0"]);
        }
        var server = await StartAsync(name, HeraldExecutable, arguments, $"herald: {protocol} listening");
        return (server, port);
    }

    /// <param name="environment">Variables to set (or, with a null value, remove) on top of this process's.</param>
    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments,
        string readyText, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var runner = ProcessRunner.Start(fileName, arguments, environment: environment);
        try
        {
            await runner.WaitForLineAsync(line => line.Contains(readyText, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }
        catch
        {
            runner.Dispose();
            throw;
        }
        return new ServerProcess(name, runner);
    }

    public double CpuSeconds() => ProcessStats.CpuSeconds(Pid);

    public long ResidentBytes() => ProcessStats.ResidentBytes(Pid);

    public long AnonymousResidentBytes() => ProcessStats.AnonymousResidentBytes(Pid);

    public ValueTask DisposeAsync() => StopAsync(_runner);

    /// <summary>Stops a child process by PID: SIGTERM, then SIGKILL if it has not exited after 10 s.</summary>
    public static async ValueTask StopAsync(ProcessRunner runner)
    {
        if (!runner.HasExited)
        {
            runner.SignalTerm();
            try
            {
                await runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                runner.KillHard();
            }
        }
        runner.Dispose();
    }
}
