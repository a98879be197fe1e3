using System.Runtime.InteropServices;

namespace Herald.Bench.Common;

/// <summary>
/// The facts needed to compare two result files: CPU, cores, kernel, runtime, which filesystem and device the
/// data directory is on (from /proc/mounts, longest mount-point prefix), and the commit that was measured.
/// </summary>
internal sealed record MachineInfo(string Host, int Cores, string Cpu, long MemoryBytes, string Os, string Runtime,
    string Directory, string FileSystem, string Device, string MountPoint, string SourceCommit, string LoadAverage)
{
    public static MachineInfo Describe(string directory)
    {
        var full = Path.GetFullPath(directory);
        var (device, mountPoint, fileSystem) = FindMount(full);
        return new MachineInfo(Environment.MachineName, Environment.ProcessorCount, CpuModel(),
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription, full, fileSystem, device, mountPoint, SourceVersion.Describe(), ReadLoadAverage());
    }

    public override string ToString() =>
        $"{Cpu}, {Cores} cores, {MemoryBytes / (1L << 30)} GiB; {Os}; {Runtime}; {FileSystem} on {Device} ({MountPoint}); commit {SourceCommit}";

    /// <summary>The 1, 5 and 15 minute load averages: above the core count, other work competed with the run.</summary>
    public static string ReadLoadAverage()
    {
        const string path = "/proc/loadavg";
        return File.Exists(path) ? string.Join(' ', File.ReadAllText(path).Split(' ').Take(3)) : "unknown";
    }

    private static string CpuModel()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static (string Device, string MountPoint, string FileSystem) FindMount(string path)
    {
        const string mounts = "/proc/mounts";
        var best = ("unknown", "/", "unknown");
        if (!File.Exists(mounts))
        {
            return best;
        }
        var bestLength = -1;
        foreach (var line in File.ReadLines(mounts))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }
            var mountPoint = fields[1];
            var covers = path == mountPoint || mountPoint == "/" ||
                path.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (covers && mountPoint.Length > bestLength)
            {
                bestLength = mountPoint.Length;
                best = (fields[0], mountPoint, fields[2]);
            }
        }
        return best;
    }
}
