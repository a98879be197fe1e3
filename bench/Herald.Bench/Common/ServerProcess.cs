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

    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments,
        string readyText)
    {
        var runner = ProcessRunner.Start(fileName, arguments);
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

    public async ValueTask DisposeAsync()
    {
        if (!_runner.HasExited)
        {
            _runner.SignalTerm();
            try
            {
                await _runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                _runner.KillHard();
            }
        }
        _runner.Dispose();
    }
}
