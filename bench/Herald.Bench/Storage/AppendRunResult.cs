using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>
/// One measured run of an <see cref="AppendCase"/>. "Acked" is until the last writer got its answer (Append
/// returned and, under <c>always</c>, its Durable completed); "on disk" adds a final FlushAsync, so it covers the
/// same work as dd with conv=fdatasync. MB are 10^6 bytes of batch bytes appended.
/// </summary>
internal sealed record AppendRunResult(
    string Case,
    int Round,
    FsyncPolicy Policy,
    int Writers,
    int RecordSize,
    long Appends,
    long Records,
    long Bytes,
    double AckedSeconds,
    double OnDiskSeconds,
    double UserCpuSeconds,
    double SystemCpuSeconds,
    long Fsyncs,
    double FsyncSeconds,
    long DeviceWrites,
    double DeviceWriteSeconds,
    double AppendCallSeconds,
    double AckP50Ms,
    double AckP99Ms,
    double AckMaxMs,
    int Segments,
    IReadOnlyList<long> WritesPerFsync)
{
    public double AckedMBps => Bytes / AckedSeconds / 1e6;

    public double OnDiskMBps => Bytes / OnDiskSeconds / 1e6;

    public double RecordsPerSecond => Records / AckedSeconds;

    public double CpuMsPerMB => (UserCpuSeconds + SystemCpuSeconds) * 1000 / (Bytes / 1e6);

    public double UserCpuMsPerMB => UserCpuSeconds * 1000 / (Bytes / 1e6);

    public double SystemCpuMsPerMB => SystemCpuSeconds * 1000 / (Bytes / 1e6);

    /// <summary>Cores kept busy on average while the case ran.</summary>
    public double CpuCores => (UserCpuSeconds + SystemCpuSeconds) / OnDiskSeconds;

    public double AppendsPerFsync => Fsyncs == 0 ? double.NaN : (double)Appends / Fsyncs;

    /// <summary>Share of fsyncs that followed between <paramref name="min"/> and <paramref name="max"/> pwrites.</summary>
    public double FsyncShare(int min, int max) => Fsyncs == 0 ? double.NaN
        : (double)WritesPerFsync.Skip(min).Take(max - min + 1).Sum() / WritesPerFsync.Sum();

    public double FsyncsPerSecond => Fsyncs / OnDiskSeconds;

    public double FsyncMeanUs => Fsyncs == 0 ? double.NaN : FsyncSeconds / Fsyncs * 1e6;

    /// <summary>Time inside PartitionLog.Append per call, summed over writers (includes waiting for the log's lock).</summary>
    public double AppendCallUs => AppendCallSeconds / Appends * 1e6;

    /// <summary>Time inside the pwrite of the segment file per append.</summary>
    public double PwriteUs => DeviceWriteSeconds / Appends * 1e6;
}
