using System.Diagnostics;

namespace Herald.Bench.Common;

/// <summary>
/// Wall-clock time and this process's CPU time over an interval. <see cref="Environment.CpuUsage"/> is the same
/// getrusage counter as <c>Process.TotalProcessorTime</c>, split into user and kernel time, which tells copying
/// and syscalls (kernel) apart from the engine's own code (user). Kernel writeback threads are not counted.
/// </summary>
internal readonly struct CpuStopwatch
{
    private readonly long _startTicks;
    private readonly TimeSpan _startUser;
    private readonly TimeSpan _startSystem;

    private CpuStopwatch(long startTicks, Environment.ProcessCpuUsage cpu)
    {
        _startTicks = startTicks;
        _startUser = cpu.UserTime;
        _startSystem = cpu.PrivilegedTime;
    }

    public static CpuStopwatch StartNew()
    {
        var cpu = Environment.CpuUsage;
        return new CpuStopwatch(Stopwatch.GetTimestamp(), cpu);
    }

    public double ElapsedSeconds => Stopwatch.GetElapsedTime(_startTicks).TotalSeconds;

    public CpuSample Sample()
    {
        var now = Stopwatch.GetTimestamp();
        var cpu = Environment.CpuUsage;
        return new CpuSample(Stopwatch.GetElapsedTime(_startTicks, now).TotalSeconds,
            (cpu.UserTime - _startUser).TotalSeconds, (cpu.PrivilegedTime - _startSystem).TotalSeconds);
    }
}

/// <summary>What a <see cref="CpuStopwatch"/> measured, in seconds.</summary>
internal readonly record struct CpuSample(double WallSeconds, double UserSeconds, double SystemSeconds)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;
}
