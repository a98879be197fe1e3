using Herald.Bench.Cli;

namespace Herald.Bench.Kafka;

/// <summary>
/// Volumes and limits of one <c>kafka</c> run, derived from the command line. A produce case stops after
/// <see cref="CaseSeconds"/> or <see cref="CaseBytes"/>, whichever comes first (the record count is calibrated from
/// the case's previous run, since a producer sends a fixed count). <c>--quick</c> is a smoke test of the harness that
/// finishes in about two minutes; its figures are indicative only.
/// </summary>
internal sealed record KafkaSettings
{
    /// <summary>The fixed rate for the end-to-end latency case.</summary>
    public const int LatencyRecordsPerSecond = 10_000;

    public const int LatencyRecordSize = 100;

    /// <summary>The scale case: this many topics of <see cref="ScalePartitions"/> partitions on one node.</summary>
    public const int ScaleTopics = 1_000;

    public const int ScalePartitions = 10;

    /// <summary>Producer settings of a throughput-minded user (linger.ms / batch.size; compression none).</summary>
    public const int LingerMs = 5;

    public const int BatchBytes = 1 << 20;

    public static readonly IReadOnlyList<int> RecordSizes = [100, 1024];

    public static readonly IReadOnlyList<int> ProducerCounts = [1, 4];

    public required double CaseSeconds { get; init; }

    public required long CaseBytes { get; init; }

    public required int Rounds { get; init; }

    public required double LatencySeconds { get; init; }

    /// <summary>Length of the unrecorded warm-up run of each produce case.</summary>
    public required double WarmUpSeconds { get; init; }

    /// <summary>Size of the dd write and the loopback pump of each round.</summary>
    public required long DiskProbeBytes { get; init; }

    public required double LoopbackSeconds { get; init; }

    /// <summary>Herald's <c>--fsync</c> policy for the run (its default, <c>always</c>, unless given).</summary>
    public required string Fsync { get; init; }

    public required bool Quick { get; init; }

    public static KafkaSettings From(BenchOptions options, string fsync) => new()
    {
        CaseSeconds = options.Seconds,
        CaseBytes = (options.CaseMiB ?? (options.Quick ? 128 : 1024)) << 20,
        Rounds = options.Rounds,
        LatencySeconds = options.Quick ? 2 : Math.Max(5, options.Seconds),
        WarmUpSeconds = options.Quick ? 1 : 2,
        DiskProbeBytes = options.Quick ? 256L << 20 : 1L << 30,
        LoopbackSeconds = options.Quick ? 0.5 : 2,
        Fsync = fsync,
        Quick = options.Quick,
    };
}
