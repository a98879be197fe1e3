using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Herald.Bench.Common;

/// <summary>
/// A server under test run as its own process (Herald's <c>herald</c> executable or a reference server such as
/// redis-server): started with its arguments, considered ready when a given text appears on its output, measured
/// from /proc (CPU time, resident memory), and stopped by PID. Comparing processes this way charges each server
/// with exactly its own work, whichever language it is written in.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>The herald executable of the Release build (built with the benchmark through a project reference).</summary>
    public static string HeraldExecutable =>
        Path.Combine(RepositoryPaths.Root, "src", "Herald.Server", "bin", "Release", "net10.0", "herald");

    /// <summary>Starts the process and waits until a line of its standard output or error contains <paramref name="readyText"/>.</summary>
    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments,
        string readyText, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Watch(object sender, DataReceivedEventArgs e)
        {
            if (e.Data?.Contains(readyText, StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += Watch;
        process.ErrorDataReceived += Watch;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(name, process);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await ready.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"{name} did not print '{readyText}' within 30 s (exited: {process.HasExited}).");
        }
        return server;
    }

    /// <summary>User plus system CPU time the process has used so far, in seconds (/proc/&lt;pid&gt;/stat fields 14 and 15).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for user space
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
    }

    /// <summary>Resident memory (VmRSS) in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>A TCP port that was free a moment ago on loopback.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM, then SIGKILL if the process has not exited after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
