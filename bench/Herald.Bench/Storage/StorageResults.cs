using Herald.Bench.Common;
using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>Everything one <c>storage</c> run measured: every raw round and the medians the report shows.</summary>
internal sealed record StorageResults(
    DateTimeOffset StartedUtc,
    MachineInfo Machine,
    string LoadAverageAtEnd,
    StorageSettings Settings,
    int SyncProbeWrites,
    IReadOnlyList<BatchShape> Batches,
    long ReadLogBytes,
    int ReadSegments,
    IReadOnlyList<DiskProbeResult> Probes,
    IReadOnlyList<AppendRunResult> Appends,
    IReadOnlyList<ReadRunResult> Reads,
    StorageSummary Summary);

/// <summary>The shape of the pre-built batches of one record size.</summary>
internal sealed record BatchShape(int RecordSize, int RecordsPerBatch, int BatchBytes);

/// <summary>Medians over rounds, with the ratios to the machine's limits and the goals.</summary>
internal sealed record StorageSummary(
    IReadOnlyList<ProbeSummary> Probes,
    IReadOnlyList<AppendSummary> Appends,
    IReadOnlyList<ReadSummary> Reads,
    IReadOnlyList<GoalResult> Goals);

/// <summary>Medians of one machine probe; <see cref="GroupSize"/> is the appends per fsync of a group probe, else 0.</summary>
internal sealed record ProbeSummary(string Probe, string Command, int GroupSize, double MBps, double WriteMBps,
    double CpuMsPerMB, IReadOnlyList<double> RunsMBps);

/// <summary>
/// Medians of one append case over its rounds; each field is the median of that metric on its own, so the fields of
/// one row may come from different rounds. Ratios divide by the medians of the probes.
/// </summary>
internal sealed record AppendSummary(
    string Case,
    string Label,
    FsyncPolicy Policy,
    int Writers,
    int RecordSize,
    double AckedMBps,
    double OnDiskMBps,
    double RecordsPerSecond,
    double VsDdSequential,
    double VsDdSync,
    double UserCpuMsPerMB,
    double SystemCpuMsPerMB,
    double CpuCores,
    double AppendsPerFsync,
    double Fsyncs,
    double FsyncsPerSecond,
    double FsyncMeanUs,
    double AckP50Ms,
    double AckP99Ms,
    double AckMaxMs,
    double AppendCallUs,
    double PwriteUs,
    double GroupsOf1,
    double GroupsOf2To3,
    double GroupsOf4To7,
    double GroupsOf8OrMore,
    IReadOnlyList<double> RunsOnDiskMBps)
{
    public double CpuMsPerMB => UserCpuMsPerMB + SystemCpuMsPerMB;
}

/// <summary>Medians of one read case; <see cref="VsFileRead"/> divides by the plain file read's median.</summary>
internal sealed record ReadSummary(string Case, double GBps, double VsFileRead, double CpuMsPerMB,
    double LookupUsPerCall, double CopyUsPerCall, double ReadAmplification, double FileReadsPerCall,
    IReadOnlyList<double> RunsGBps);
