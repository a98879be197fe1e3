namespace Herald.Storage.Log;

/// <summary>When appended data is forced to disk (DESIGN.md section 4; reliability.md rule H2).</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// Group commit: an append completes only after an fsync that covers it; one fsync covers every append waiting
    /// at that moment. Readers see data only once it is durable. The default.
    /// </summary>
    Always,

    /// <summary>fsync every <see cref="LogOptions.FsyncInterval"/>; appends complete once written to the OS.</summary>
    Interval,

    /// <summary>Leave flushing to the operating system (and segment rolls); appends complete once written.</summary>
    Os,
}

/// <summary>What happens to old data: Kafka's <c>cleanup.policy</c>.</summary>
[Flags]
public enum CleanupPolicy
{
    None = 0,

    /// <summary>Whole old segments are deleted by time and total size.</summary>
    Delete = 1,

    /// <summary>Old segments are rewritten keeping the newest record per key.</summary>
    Compact = 2,
}

/// <summary>
/// Per-log settings. Defaults follow Kafka's topic defaults where Kafka has one. Immutable; a log's settings are
/// replaced as a whole with <see cref="PartitionLog.UpdateOptions"/>.
/// </summary>
public sealed record LogOptions
{
    public static readonly LogOptions Default = new();

    /// <summary>Kafka <c>segment.bytes</c>. Segments are addressed with 32-bit positions, so at most 2 GiB.</summary>
    public long SegmentSizeBytes { get; init; } = 1L << 30;

    /// <summary>Kafka <c>segment.ms</c>: roll the active segment once its first batch is this old.</summary>
    public TimeSpan SegmentMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Kafka <c>index.interval.bytes</c>: bytes of batches between two sparse index entries.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Always;

    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Under <see cref="FsyncPolicy.Interval"/> and <see cref="FsyncPolicy.Os"/>: start a background fsync every
    /// time this many bytes were appended since the last one. Nothing waits for it; it keeps the dirty data of the
    /// active segment small, so sealing a segment (which fsyncs it under the log's lock) never has to write back a
    /// whole segment while appends wait. Null turns it off.
    /// </summary>
    public long? WritebackBytes { get; init; } = 64L << 20;

    /// <summary>Kafka <c>retention.ms</c>; null keeps data forever.</summary>
    public TimeSpan? RetentionTime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Kafka <c>retention.bytes</c>; null means no size limit.</summary>
    public long? RetentionBytes { get; init; }

    public CleanupPolicy Cleanup { get; init; } = CleanupPolicy.Delete;

    /// <summary>Kafka <c>min.compaction.lag.ms</c>: records younger than this are never compacted away.</summary>
    public TimeSpan MinCompactionLag { get; init; } = TimeSpan.Zero;

    /// <summary>Kafka <c>delete.retention.ms</c>: how long a tombstone stays readable after it is written.</summary>
    public TimeSpan DeleteRetention { get; init; } = TimeSpan.FromDays(1);

    internal void Validate()
    {
        if (SegmentSizeBytes < 1024 || SegmentSizeBytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSizeBytes), SegmentSizeBytes, "Must be 1 KiB to 2 GiB.");
        }
        if (IndexIntervalBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IndexIntervalBytes), IndexIntervalBytes, "Must be positive.");
        }
        if (WritebackBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WritebackBytes), WritebackBytes, "Must be positive or null.");
        }
        if (Fsync == FsyncPolicy.Interval && FsyncInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FsyncInterval), FsyncInterval, "Must be positive.");
        }
    }
}
