using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Broker.Topics;

/// <summary>
/// The configs a topic was created or altered with (only the names set explicitly; everything else takes its
/// default from <see cref="TopicConfigCatalog"/>), plus the values the produce path reads, parsed once here so a
/// produce never parses strings. Immutable: an alter replaces the topic's instance as a whole. Build one with
/// <see cref="TryCreate"/>, which checks every name and value.
/// </summary>
public sealed class TopicConfigs
{
    private TopicConfigs(IReadOnlyDictionary<string, string> overrides)
    {
        Overrides = overrides;
        MaxMessageBytes = (int)ParsedOr(TopicConfigCatalog.MaxMessageBytes, TopicConfigCatalog.DefaultMaxMessageBytes);
        TimestampType = overrides.TryGetValue(TopicConfigCatalog.MessageTimestampType, out var type) && type == "LogAppendTime"
            ? TimestampType.LogAppendTime
            : TimestampType.CreateTime;
        // Kafka 3.6 split message.timestamp.difference.max.ms into before/after bounds; the old name still bounds both.
        var difference = ParsedOr(TopicConfigCatalog.MessageTimestampDifferenceMaxMs, long.MaxValue);
        TimestampBeforeMaxMs = Math.Min(difference, ParsedOr(TopicConfigCatalog.MessageTimestampBeforeMaxMs, long.MaxValue));
        TimestampAfterMaxMs = Math.Min(difference, ParsedOr(TopicConfigCatalog.MessageTimestampAfterMaxMs, long.MaxValue));
    }

    public static TopicConfigs Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The configs set explicitly, by Kafka name.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; }

    /// <summary><c>max.message.bytes</c>: the largest record batch accepted, log overhead included.</summary>
    public int MaxMessageBytes { get; }

    /// <summary><c>message.timestamp.type</c>: LogAppendTime makes the broker stamp each batch with its own clock.</summary>
    public TimestampType TimestampType { get; }

    /// <summary>How far in the past a CreateTime timestamp may lie (<c>message.timestamp.before.max.ms</c>).</summary>
    public long TimestampBeforeMaxMs { get; }

    /// <summary>How far in the future a CreateTime timestamp may lie (<c>message.timestamp.after.max.ms</c>).</summary>
    public long TimestampAfterMaxMs { get; }

    /// <summary>
    /// Checks and builds a config set. Returns null and sets <paramref name="problem"/> (Kafka's wording) when a
    /// name is unknown or a value invalid.
    /// </summary>
    public static TopicConfigs? TryCreate(IEnumerable<KeyValuePair<string, string?>> configs, out string? problem)
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in configs)
        {
            problem = TopicConfigCatalog.Check(name, value);
            if (problem is not null)
            {
                return null;
            }
            overrides[name] = value!;
        }
        problem = null;
        return new TopicConfigs(overrides);
    }

    /// <summary>The value in force for <paramref name="definition"/>, and whether it is the default.</summary>
    public (string Value, bool IsDefault) Resolve(TopicConfigDefinition definition, LogOptions baseline) =>
        Overrides.TryGetValue(definition.Name, out var value) ? (value, false) : (definition.DefaultValue(baseline), true);

    /// <summary>
    /// The settings of this topic's partition logs: the storage engine's defaults (fsync policy and the rest) with
    /// the topic's retention, segment and compaction configs applied.
    /// </summary>
    public LogOptions ToLogOptions(LogOptions baseline)
    {
        var options = baseline;
        if (Overrides.TryGetValue(TopicConfigCatalog.SegmentBytes, out var segmentBytes))
        {
            options = options with { SegmentSizeBytes = TopicConfigCatalog.ParseLong(segmentBytes) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.SegmentMs, out var segmentMs))
        {
            options = options with { SegmentMaxAge = Duration(TopicConfigCatalog.ParseLong(segmentMs)) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.IndexIntervalBytes, out var interval))
        {
            options = options with { IndexIntervalBytes = (int)TopicConfigCatalog.ParseLong(interval) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.RetentionMs, out var retentionMs))
        {
            var ms = TopicConfigCatalog.ParseLong(retentionMs);
            options = options with { RetentionTime = ms < 0 ? null : Duration(ms) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.RetentionBytes, out var retentionBytes))
        {
            var bytes = TopicConfigCatalog.ParseLong(retentionBytes);
            options = options with { RetentionBytes = bytes < 0 ? null : bytes };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.CleanupPolicy, out var cleanup))
        {
            options = options with { Cleanup = TopicConfigCatalog.ParseCleanup(cleanup) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.MinCompactionLagMs, out var lag))
        {
            options = options with { MinCompactionLag = Duration(TopicConfigCatalog.ParseLong(lag)) };
        }
        if (Overrides.TryGetValue(TopicConfigCatalog.DeleteRetentionMs, out var deleteRetention))
        {
            options = options with { DeleteRetention = Duration(TopicConfigCatalog.ParseLong(deleteRetention)) };
        }
        return options;
    }

    /// <summary>Kafka spells "forever" as Long.MAX_VALUE milliseconds, which is beyond <see cref="TimeSpan.MaxValue"/>.</summary>
    private static TimeSpan Duration(long milliseconds) =>
        milliseconds >= (long)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(milliseconds);

    private long ParsedOr(string name, long fallback) =>
        Overrides.TryGetValue(name, out var value) ? TopicConfigCatalog.ParseLong(value) : fallback;
}
