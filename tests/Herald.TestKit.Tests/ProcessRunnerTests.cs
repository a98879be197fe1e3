using System.Net;
using System.Net.Sockets;

namespace Herald.TestKit.Tests;

public sealed class ProcessRunnerTests
{
    /// <summary>Generous: these are bounds on a loaded CI machine, not expected durations.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Waits_for_a_line_and_kills_the_process_hard()
    {
        using var runner = ProcessRunner.Start("/bin/sh", ["-c", "echo ready; sleep 30"]);

        var line = await runner.WaitForLineAsync(l => l == "ready", Timeout);
        runner.KillHard();
        var exitCode = await runner.WaitForExitAsync(Timeout);

        Assert.Equal("ready", line);
        Assert.Equal(128 + 9, exitCode); // SIGKILL
    }

    [Fact]
    public async Task SignalTerm_lets_the_process_shut_down_cleanly()
    {
        using var runner = ProcessRunner.Start(
            "/bin/sh",
            ["-c", "trap 'echo stopping; exit 3' TERM; echo ready; while true; do sleep 0.1; done"]);
        await runner.WaitForLineAsync(l => l == "ready", Timeout);

        runner.SignalTerm();

        Assert.Equal("stopping", await runner.WaitForLineAsync(l => l == "stopping", Timeout));
        Assert.Equal(3, await runner.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Captures_stdout_and_stderr_separately_and_fails_a_wait_when_output_ends()
    {
        using var runner = ProcessRunner.Start("/bin/sh", ["-c", "echo out; echo err >&2; exit 7"]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.WaitForLineAsync(l => l == "never", Timeout));

        Assert.Equal(7, await runner.WaitForExitAsync(Timeout));
        Assert.Equal(["out"], runner.StandardOutputLines);
        Assert.Equal(["err"], runner.StandardErrorLines);
        Assert.Equal("err", await runner.WaitForLineAsync(l => l.StartsWith('e'), Timeout)); // earlier lines count
    }

    [Fact]
    public async Task WaitForLineAsync_times_out_and_Dispose_kills_the_process()
    {
        var runner = ProcessRunner.Start("/bin/sh", ["-c", "echo started; sleep 30"]);
        var pid = runner.ProcessId;

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => runner.WaitForLineAsync(l => l == "never", TimeSpan.FromMilliseconds(200)));
        runner.Dispose();

        Assert.Contains("started", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }

    [Fact]
    public async Task StartDotnet_runs_the_dotnet_host()
    {
        using var runner = ProcessRunner.StartDotnet("--version", []);

        var version = await runner.WaitForLineAsync(l => l.Length > 0 && char.IsDigit(l[0]), Timeout);

        Assert.Equal(0, await runner.WaitForExitAsync(Timeout));
        Assert.Contains('.', version);
    }

    [Fact]
    public void FreePort_returns_a_port_that_can_be_bound()
    {
        var port = ProcessRunner.FreePort();

        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Assert.InRange(port, 1, 65535);
        listener.Stop();
    }
}
