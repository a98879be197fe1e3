using Herald.Bench.Cli;

namespace Herald.Bench.Storage;

/// <summary>
/// Volumes and limits of one <c>storage</c> run, derived from the command line. A full run writes about 1 GiB
/// per case (the page cache and disk caches stop flattering the figures well before that); <c>--quick</c> is
/// only a smoke test of the harness and its figures are not comparable.
/// </summary>
internal sealed record StorageSettings
{
    public const int BatchBytes = 16 * 1024;
    public const int ConcurrentWriters = 8;
    public const int ReadChunkBytes = 1 << 20;

    /// <summary>Record size of the log the read cases read; per-batch read costs do not depend on it.</summary>
    public const int ReadRecordSize = 1024;

    /// <summary>Record value sizes: small messages stress per-record and per-batch costs less than per-byte ones.</summary>
    public static readonly IReadOnlyList<int> RecordSizes = [100, 1024];

    /// <summary>Appends per fsync of the hand-made group commit probes (1 = one fsync per write).</summary>
    public static readonly IReadOnlyList<int> GroupProbeSizes = [1, 4, ConcurrentWriters];
    public static readonly TimeSpan FsyncInterval = TimeSpan.FromMilliseconds(1000);

    /// <summary>Each append case stops after this long or <see cref="CaseBytes"/>, whichever comes first.</summary>
    public required double CaseSeconds { get; init; }

    public required long CaseBytes { get; init; }

    public required int Rounds { get; init; }

    /// <summary>Size of the buffered dd and device-loop writes.</summary>
    public required long SequentialProbeBytes { get; init; }

    /// <summary>How long the one-fsync-per-write probes should take; their write count is calibrated to it.</summary>
    public required double SyncProbeSeconds { get; init; }

    /// <summary>How much the read cases write and then read back.</summary>
    public required long ReadBytes { get; init; }

    /// <summary>Segment size of the case that measures segment rolls; small so one case rolls several times.</summary>
    public required long RollSegmentBytes { get; init; }

    public required bool Quick { get; init; }

    public static StorageSettings From(BenchOptions options) => options.Quick
        ? new StorageSettings
        {
            CaseSeconds = options.Seconds,
            CaseBytes = (options.CaseMiB ?? 128) << 20,
            Rounds = options.Rounds,
            SequentialProbeBytes = 256L << 20,
            SyncProbeSeconds = 0.5,
            ReadBytes = 256L << 20,
            RollSegmentBytes = 32L << 20,
            Quick = true,
        }
        : new StorageSettings
        {
            CaseSeconds = options.Seconds,
            CaseBytes = (options.CaseMiB ?? 1024) << 20,
            Rounds = options.Rounds,
            SequentialProbeBytes = 1L << 30,
            SyncProbeSeconds = 3,
            ReadBytes = 1L << 30,
            RollSegmentBytes = 128L << 20,
            Quick = false,
        };
}
