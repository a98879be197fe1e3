using Herald.Storage.Log;

namespace Herald.Simulation;

/// <summary>
/// The shape of one simulated run, drawn from its seed: the log's settings and the workload's. Segments are tiny
/// (1-4 KiB) and index entries dense so that a few hundred operations roll segments, read across them, and give
/// retention and compaction whole segments to work on. Immutable.
/// </summary>
internal sealed record SimulationConfig
{
    public required LogOptions Options { get; init; }

    public const int DefaultSteps = 250;

    /// <summary>Operations per run.</summary>
    public int Steps { get; init; } = DefaultSteps;

    /// <summary>Keys are "k0".."k{KeyCount-1}": a small space, so compaction always has superseded records.</summary>
    public int KeyCount { get; init; } = 4;

    public double NullKeyChance { get; init; } = 0.1;

    public double TombstoneChance { get; init; } = 0.1;

    public int MaxRecordsPerBatch { get; init; } = 5;

    public int MaxBatchesPerAppend { get; init; } = 3;

    /// <summary>Usual largest value; one record in 40 is larger (up to half a segment) to cross index intervals.</summary>
    public int MaxValueBytes { get; init; } = 100;

    public double GzipChance { get; init; } = 0.1;

    /// <summary>
    /// Seeds that draw <see cref="FsyncPolicy.Always"/> (the broker's default, and the only policy under which
    /// <see cref="AppendResult.Durable"/> means durable) run about 70% of the time; the rest split between the lazy
    /// policies, under which only data covered by a completed flush, a clean close or a segment roll must survive
    /// power loss.
    /// </summary>
    public static SimulationConfig FromSeed(int seed)
    {
        var random = new SimulationRandom(SimulationRandom.Derive(seed, -1));
        var fsync = random.NextDouble() switch
        {
            < 0.7 => FsyncPolicy.Always,
            < 0.85 => FsyncPolicy.Interval,
            _ => FsyncPolicy.Os,
        };
        var cleanup = random.NextDouble() switch
        {
            < 0.5 => CleanupPolicy.Delete,
            < 0.8 => CleanupPolicy.Compact,
            _ => CleanupPolicy.Delete | CleanupPolicy.Compact,
        };
        var segmentSize = random.Next(1024, 4097);
        var options = LogOptions.Default with
        {
            SegmentSizeBytes = segmentSize,
            IndexIntervalBytes = random.Next(64, 1025),
            SegmentMaxAge = random.Chance(0.5) ? TimeSpan.FromMinutes(random.Next(1, 21)) : LogOptions.Default.SegmentMaxAge,
            Fsync = fsync,
            FsyncInterval = TimeSpan.FromSeconds(random.Next(5, 61)),
            Cleanup = cleanup,
            RetentionTime = random.Chance(0.7) ? TimeSpan.FromMinutes(random.Next(5, 61)) : null,
            RetentionBytes = random.Chance(0.3) ? random.Next(4096, 16385) : null,
            MinCompactionLag = random.Chance(0.6) ? TimeSpan.Zero : TimeSpan.FromMinutes(random.Next(1, 11)),
            DeleteRetention = TimeSpan.FromMinutes(random.Next(0, 21)),
            WritebackBytes = random.Chance(0.5) ? random.Next(256, 4097) : null,
        };
        return new SimulationConfig
        {
            Options = options,
            KeyCount = random.Next(1, 9),
            MaxRecordsPerBatch = random.Next(1, 7),
            MaxValueBytes = Math.Max(8, segmentSize / 10),
        };
    }

    public override string ToString()
    {
        var o = Options;
        return $"fsync={o.Fsync} (interval {o.FsyncInterval.TotalSeconds}s), cleanup={o.Cleanup}, " +
               $"segment={o.SegmentSizeBytes}B/{o.SegmentMaxAge.TotalMinutes}min, index={o.IndexIntervalBytes}B, " +
               $"retention={o.RetentionTime?.TotalMinutes.ToString() ?? "none"}min/{o.RetentionBytes?.ToString() ?? "none"}B, " +
               $"lag={o.MinCompactionLag.TotalMinutes}min, deleteRetention={o.DeleteRetention.TotalMinutes}min, writeback={o.WritebackBytes?.ToString() ?? "off"}, " +
               $"keys={KeyCount}, records/batch<={MaxRecordsPerBatch}, value<={MaxValueBytes}B, steps={Steps}";
    }
}
