namespace Herald.Broker.Groups;

/// <summary>Broker-wide group settings, with Kafka's names and defaults (GroupCoordinatorConfig).</summary>
public sealed record GroupCoordinatorOptions
{
    /// <summary><c>group.initial.rebalance.delay.ms</c>: how long a new or empty group waits for more members.</summary>
    public TimeSpan InitialRebalanceDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>group.min.session.timeout.ms</c>.</summary>
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary><c>group.max.session.timeout.ms</c>.</summary>
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary><c>group.max.size</c>.</summary>
    public int MaxGroupSize { get; init; } = int.MaxValue;

    /// <summary>
    /// <c>offsets.retention.minutes</c> (default 7 days): committed offsets of a group without members are removed
    /// this long after it became empty; "simple" commits of a group that never had members, this long after each
    /// commit (Kafka 2.1+, KIP-211).
    /// </summary>
    public TimeSpan OffsetsRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary><c>offsets.retention.check.interval.ms</c>: how often expired offsets are looked for.</summary>
    public TimeSpan OffsetsRetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>offset.metadata.max.bytes</c>: longer commit metadata is refused.</summary>
    public int MaxOffsetMetadataBytes { get; init; } = 4096;
}
