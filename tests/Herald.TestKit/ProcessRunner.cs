using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Herald.TestKit;

/// <summary>
/// Runs a child process for a test (a Herald server, a client tool) with stdout and stderr captured line by line,
/// and sends it the signals the crash tests need (reliability.md §2.1 item 1). The test owns it and disposes it,
/// which kills the process tree if it is still running. Thread-safe: output arrives on pool threads while the test
/// waits for lines.
/// </summary>
public sealed partial class ProcessRunner : IDisposable
{
    // Linux signal numbers (x86_64 and arm64); SIGTERM is 15 on every POSIX system.
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    /// <summary>How many lines of output a timeout message quotes.</summary>
    private const int DiagnosticTailLines = 20;

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _standardOutput = [];
    private readonly List<string> _standardError = [];
    private readonly List<string> _allLines = [];
    private readonly List<LineWaiter> _waiters = [];
    private int _openStreams = 2;
    private bool _disposed;

    private ProcessRunner(ProcessStartInfo startInfo)
    {
        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, _standardOutput);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, _standardError);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>A snapshot of the stdout lines received so far.</summary>
    public IReadOnlyList<string> StandardOutputLines
    {
        get
        {
            lock (_gate)
            {
                return _standardOutput.ToArray();
            }
        }
    }

    /// <summary>A snapshot of the stderr lines received so far.</summary>
    public IReadOnlyList<string> StandardErrorLines
    {
        get
        {
            lock (_gate)
            {
                return _standardError.ToArray();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with each argument passed as is (no shell quoting).</summary>
    public static ProcessRunner Start(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }
        return new ProcessRunner(startInfo);
    }

    /// <summary>
    /// Starts <c>dotnet &lt;assemblyPath&gt; arguments...</c> with the same dotnet host that runs the tests
    /// (DOTNET_HOST_PATH, which the SDK sets for test runs), falling back to <c>dotnet</c> on the PATH.
    /// </summary>
    public static ProcessRunner StartDotnet(
        string assemblyPath,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        return Start(host, [assemblyPath, .. arguments], workingDirectory, environment);
    }

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, released). Another process may
    /// take it before the child binds it; tests that start servers should retry on a bind failure.
    /// </summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>
    /// Waits for a line on stdout or stderr that matches, including lines that arrived before the call, and returns
    /// the first such line. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/> and
    /// <see cref="InvalidOperationException"/> when the output ends first; both quote the last lines of output.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        LineWaiter waiter;
        lock (_gate)
        {
            foreach (var line in _allLines)
            {
                if (predicate(line))
                {
                    return line;
                }
            }
            if (_openStreams == 0)
            {
                throw new InvalidOperationException($"The process's output ended without a matching line.{TailLocked()}");
            }
            waiter = new LineWaiter(predicate);
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Line.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
                throw new TimeoutException($"No matching line within {timeout}.{TailLocked()}");
            }
        }
    }

    /// <summary>SIGKILL to the process and its descendants, so no grandchild keeps the output pipes open.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM to the process only: it should shut down cleanly.</summary>
    public void SignalTerm() => SendSignal(SigTerm);

    /// <summary>SIGSTOP: freezes the process (test D7). Linux only.</summary>
    public void SignalStop() => SendSignal(OperatingSystem.IsLinux() ? SigStop : throw new PlatformNotSupportedException("signal numbers are Linux's"));

    /// <summary>SIGCONT: resumes a stopped process. Linux only.</summary>
    public void SignalContinue() => SendSignal(OperatingSystem.IsLinux() ? SigCont : throw new PlatformNotSupportedException("signal numbers are Linux's"));

    /// <summary>
    /// Waits until the process has exited and its output has been read to the end, and returns the exit code
    /// (128 + the signal number for a process killed by a signal, as .NET reports it on Unix).
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            lock (_gate)
            {
                throw new TimeoutException($"Process {_process.Id} did not exit within {timeout}.{TailLocked()}");
            }
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                // Bounded: a process that ignores SIGKILL is a kernel problem, not something a test can wait out.
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        _process.Dispose();
    }

    private void SendSignal(int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("POSIX signals are not available on Windows");
        }
        if (Kill(_process.Id, signal) != 0)
        {
            throw new IOException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private void OnLine(string? line, List<string> stream)
    {
        lock (_gate)
        {
            if (line is null)
            {
                // End of one stream; once both have ended no waiter can ever match.
                if (--_openStreams == 0)
                {
                    foreach (var waiter in _waiters)
                    {
                        waiter.Line.TrySetException(
                            new InvalidOperationException($"The process's output ended without a matching line.{TailLocked()}"));
                    }
                    _waiters.Clear();
                }
                return;
            }
            stream.Add(line);
            _allLines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                try
                {
                    if (!waiter.Matches(line))
                    {
                        continue;
                    }
                    waiter.Line.TrySetResult(line);
                }
                catch (Exception e)
                {
                    // A throwing predicate fails its own wait; letting it escape would crash this output thread.
                    waiter.Line.TrySetException(e);
                }
                _waiters.RemoveAt(i);
            }
        }
    }

    private string TailLocked()
    {
        var tail = _allLines.TakeLast(DiagnosticTailLines);
        return _allLines.Count == 0 ? " No output." : $" Last output:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed class LineWaiter(Func<string, bool> matches)
    {
        public Func<string, bool> Matches { get; } = matches;

        /// <summary>Completes off the output thread, so a test's continuation never runs under the runner's lock.</summary>
        public TaskCompletionSource<string> Line { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
