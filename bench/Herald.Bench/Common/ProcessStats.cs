using System.Globalization;

namespace Herald.Bench.Common;

/// <summary>
/// What /proc says about another process: its CPU time and resident memory. Benchmarks charge each server with
/// exactly its own work this way, whichever language it is written in.
/// </summary>
internal static class ProcessStats
{
    /// <summary>User plus system CPU time used so far, in seconds (/proc/&lt;pid&gt;/stat fields 14 and 15).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for user space
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
    }

    /// <summary>Resident memory (VmRSS of /proc/&lt;pid&gt;/status) in bytes, or -1 when the process is gone.</summary>
    public static long ResidentBytes(int pid) => StatusBytes(pid, "VmRSS:");

    /// <summary>
    /// The anonymous part of the resident memory (RssAnon: heaps, not file pages mapped in), in bytes, or -1 when the
    /// process is gone. VmRSS = RssAnon + RssFile + RssShmem.
    /// </summary>
    public static long AnonymousResidentBytes(int pid) => StatusBytes(pid, "RssAnon:");

    /// <summary>A "Name:  N kB" line of /proc/&lt;pid&gt;/status in bytes, or -1 when the process is gone.</summary>
    private static long StatusBytes(int pid, string field)
    {
        var path = $"/proc/{pid}/status";
        if (!File.Exists(path))
        {
            return -1;
        }
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kib = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return -1;
    }
}
