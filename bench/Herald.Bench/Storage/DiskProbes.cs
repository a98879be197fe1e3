using System.Globalization;
using System.Security.Cryptography;
using Herald.Bench.Common;
using Herald.Storage.IO;

namespace Herald.Bench.Storage;

/// <summary>
/// The machine's own limits, measured in the same directory as the log: dd's buffered sequential write (flushed
/// once at the end) and dd's synchronous 16 KiB writes (one fsync each), plus the same two patterns through the
/// engine's own <see cref="FileStorageDevice"/> with 16 KiB pwrites, which is exactly what the log does minus the
/// log, and group commit done by hand (G pwrites, one fdatasync), the ceiling for G writers that each wait for
/// their fsync. Every probe writes a new file and deletes it, as the log allocates new blocks too. Commands are
/// recorded with <c>$DIR</c> for the directory so that runs in different directories compare as text.
/// </summary>
internal static class DiskProbes
{
    public const string DdSequential = "dd-seq-1m";
    public const string DdSync = "dd-dsync-16k";
    public const string DeviceSequentialProbe = "device-seq-16k";
    public const string DeviceSyncProbe = "device-sync-16k";
    public const string DeviceGroupProbePrefix = "device-group";

    private const int WriteBytes = 16 * 1024;

    public static string GroupProbeId(int groupSize) =>
        groupSize == 1 ? DeviceSyncProbe : $"{DeviceGroupProbePrefix}-{groupSize}-16k";

    /// <summary>Distinct source buffers the device loops cycle through, as the append writers do.</summary>
    private const int SourceBuffers = 16;

    public static async Task<DiskProbeResult> DdSequentialAsync(string directory, long bytes, int round,
        CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, $"dd-seq-{round}");
        try
        {
            var result = await Dd.RunAsync(["if=/dev/zero", $"of={file}", "bs=1M",
                string.Create(CultureInfo.InvariantCulture, $"count={bytes >> 20}"), "conv=fdatasync"], cancellationToken);
            return new DiskProbeResult(DdSequential, round, result.Bytes, result.Seconds, result.Seconds, 0, 0,
                result.Command.Replace(directory, "$DIR", StringComparison.Ordinal), result.Summary);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static async Task<DiskProbeResult> DdSyncAsync(string directory, int count, int round,
        CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, $"dd-dsync-{round}");
        try
        {
            var result = await Dd.RunAsync(["if=/dev/zero", $"of={file}", "bs=16k",
                string.Create(CultureInfo.InvariantCulture, $"count={count}"), "oflag=dsync"], cancellationToken);
            return new DiskProbeResult(DdSync, round, result.Bytes, result.Seconds, result.Seconds, 0, 0,
                result.Command.Replace(directory, "$DIR", StringComparison.Ordinal), result.Summary);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Picks the write count of the synchronous probes so they last about <paramref name="targetSeconds"/>: fsync
    /// latency differs by orders of magnitude between disks, and a fixed count is either too short or too long.
    /// </summary>
    public static async Task<int> CalibrateSyncCountAsync(string directory, double targetSeconds,
        CancellationToken cancellationToken)
    {
        const int probeWrites = 128;
        var probe = await DdSyncAsync(directory, probeWrites, -1, cancellationToken);
        var perWrite = probe.Seconds / probeWrites;
        return (int)Math.Clamp(targetSeconds / Math.Max(perWrite, 1e-6), 256, 1 << 16);
    }

    /// <summary>16 KiB pwrites through the engine's device, one fdatasync at the end: the os-policy pattern.</summary>
    public static DiskProbeResult DeviceSequential(string directory, long bytes, int round)
    {
        var path = Path.Combine(directory, $"device-seq-{round}");
        var buffers = RandomBuffers();
        try
        {
            using var file = FileStorageDevice.Instance.Open(path, FileOpenMode.CreateNew);
            var clock = CpuStopwatch.StartNew();
            long position = 0;
            for (var i = 0; position < bytes; i++, position += WriteBytes)
            {
                file.Write(position, buffers[i % buffers.Length]);
            }
            var written = clock.ElapsedSeconds;
            file.Flush();
            var sample = clock.Sample();
            return new DiskProbeResult(DeviceSequentialProbe, round, position, sample.WallSeconds, written,
                sample.UserSeconds, sample.SystemSeconds, "16 KiB pwrite × N, fdatasync at end", null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// <paramref name="groupSize"/> 16 KiB pwrites then one fdatasync, <paramref name="groups"/> times, through the
    /// engine's device. With a group of 1 this is the always-policy, one-writer floor; with 8 it is perfect group
    /// commit for 8 writers that each wait for their fsync before writing again.
    /// </summary>
    public static DiskProbeResult DeviceGroups(string directory, int groupSize, int groups, int round)
    {
        var path = Path.Combine(directory, $"device-group-{groupSize}-{round}");
        var buffers = RandomBuffers();
        try
        {
            using var file = FileStorageDevice.Instance.Open(path, FileOpenMode.CreateNew);
            var clock = CpuStopwatch.StartNew();
            long position = 0;
            for (var g = 0; g < groups; g++)
            {
                for (var i = 0; i < groupSize; i++, position += WriteBytes)
                {
                    file.Write(position, buffers[i % buffers.Length]);
                }
                file.Flush();
            }
            var sample = clock.Sample();
            return new DiskProbeResult(GroupProbeId(groupSize), round, position, sample.WallSeconds, sample.WallSeconds, sample.UserSeconds, sample.SystemSeconds,
                $"({groupSize} × 16 KiB pwrite + fdatasync) × {groups}", null, groupSize);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[][] RandomBuffers()
    {
        var buffers = new byte[SourceBuffers][];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = new byte[WriteBytes];
            RandomNumberGenerator.Fill(buffers[i]);
        }
        return buffers;
    }
}

/// <summary>
/// One probe run. <see cref="Seconds"/> includes the final flush; <see cref="WriteSeconds"/> is the write phase
/// alone (equal for dd, which reports only the total). CPU is only known for the in-process probes.
/// </summary>
internal sealed record DiskProbeResult(string Probe, int Round, long Bytes, double Seconds, double WriteSeconds,
    double UserCpuSeconds, double SystemCpuSeconds, string Command, string? Summary, int GroupSize = 0)
{
    public double MBps => Bytes / Seconds / 1e6;

    public double WriteMBps => Bytes / WriteSeconds / 1e6;
}
