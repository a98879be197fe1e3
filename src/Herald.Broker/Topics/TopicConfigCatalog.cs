using System.Globalization;
using Herald.Storage.Log;

namespace Herald.Broker.Topics;

/// <summary>The value type of a topic config, as Kafka's DescribeConfigs reports it (<c>ConfigType</c>).</summary>
public enum TopicConfigType : sbyte
{
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    Double = 6,
    List = 7,
}

/// <summary>
/// One topic config Herald accepts: its Kafka name, type, default (which may depend on the storage engine's default
/// log settings, so <c>segment.bytes</c> follows <c>--segment-bytes</c>) and value check. <see cref="IsEffective"/>
/// says whether Herald acts on it; the others (replication, flushing, preallocation...) are accepted and described
/// so Kafka tooling that sets them keeps working, but have no effect on a single node that stores batches as sent.
/// </summary>
public sealed record TopicConfigDefinition(
    string Name,
    TopicConfigType Type,
    Func<LogOptions, string> DefaultValue,
    Func<string, string?> Validate,
    bool IsEffective);

/// <summary>
/// The table of Kafka topic configs (names and defaults from Kafka 3.x <c>TopicConfig</c>/<c>LogConfig</c>). A name
/// outside this table is rejected as Kafka rejects unknown topic configs. Immutable; thread-safe.
/// </summary>
public static class TopicConfigCatalog
{
    public const string CleanupPolicy = "cleanup.policy";
    public const string CompressionType = "compression.type";
    public const string DeleteRetentionMs = "delete.retention.ms";
    public const string IndexIntervalBytes = "index.interval.bytes";
    public const string MaxMessageBytes = "max.message.bytes";
    public const string MessageTimestampType = "message.timestamp.type";
    public const string MessageTimestampDifferenceMaxMs = "message.timestamp.difference.max.ms";
    public const string MessageTimestampBeforeMaxMs = "message.timestamp.before.max.ms";
    public const string MessageTimestampAfterMaxMs = "message.timestamp.after.max.ms";
    public const string MinCompactionLagMs = "min.compaction.lag.ms";
    public const string RetentionBytes = "retention.bytes";
    public const string RetentionMs = "retention.ms";
    public const string SegmentBytes = "segment.bytes";
    public const string SegmentMs = "segment.ms";

    /// <summary>Kafka's default <c>max.message.bytes</c>: 1 MiB of records plus the 12-byte log overhead.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024 + 12;

    private const string LongMax = "9223372036854775807";

    private static readonly TopicConfigDefinition[] Definitions =
    [
        new(CleanupPolicy, TopicConfigType.List, o => FormatCleanup(o.Cleanup), ValidateCleanupPolicy, true),
        new(CompressionType, TopicConfigType.String, _ => "producer",
            v => OneOf(v, "producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"), false),
        new(DeleteRetentionMs, TopicConfigType.Long, o => Milliseconds(o.DeleteRetention), v => LongAtLeast(v, 0), true),
        new("file.delete.delay.ms", TopicConfigType.Long, _ => "60000", v => LongAtLeast(v, 0), false),
        new("flush.messages", TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 1), false),
        new("flush.ms", TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 0), false),
        new(IndexIntervalBytes, TopicConfigType.Int, o => Invariant(o.IndexIntervalBytes), v => IntAtLeast(v, 1), true),
        new("max.compaction.lag.ms", TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 1), false),
        new(MaxMessageBytes, TopicConfigType.Int, _ => Invariant(DefaultMaxMessageBytes), v => IntAtLeast(v, 0), true),
        new("message.downconversion.enable", TopicConfigType.Boolean, _ => "true", IsBoolean, false),
        new(MessageTimestampAfterMaxMs, TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 0), true),
        new(MessageTimestampBeforeMaxMs, TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 0), true),
        new(MessageTimestampDifferenceMaxMs, TopicConfigType.Long, _ => LongMax, v => LongAtLeast(v, 0), true),
        new(MessageTimestampType, TopicConfigType.String, _ => "CreateTime", v => OneOf(v, "CreateTime", "LogAppendTime"), true),
        new("min.cleanable.dirty.ratio", TopicConfigType.Double, _ => "0.5", ValidateRatio, false),
        new(MinCompactionLagMs, TopicConfigType.Long, o => Milliseconds(o.MinCompactionLag), v => LongAtLeast(v, 0), true),
        new("min.insync.replicas", TopicConfigType.Int, _ => "1", v => IntAtLeast(v, 1), false),
        new("preallocate", TopicConfigType.Boolean, _ => "false", IsBoolean, false),
        new(RetentionBytes, TopicConfigType.Long, o => Invariant(o.RetentionBytes ?? -1), v => LongAtLeast(v, -1), true),
        new(RetentionMs, TopicConfigType.Long, o => o.RetentionTime is { } t ? Milliseconds(t) : "-1", v => LongAtLeast(v, -1), true),
        new(SegmentBytes, TopicConfigType.Int, o => Invariant(o.SegmentSizeBytes), v => IntAtLeast(v, 1024), true),
        new("segment.index.bytes", TopicConfigType.Int, _ => "10485760", v => IntAtLeast(v, 4), false),
        new("segment.jitter.ms", TopicConfigType.Long, _ => "0", v => LongAtLeast(v, 0), false),
        new(SegmentMs, TopicConfigType.Long, o => Milliseconds(o.SegmentMaxAge), v => LongAtLeast(v, 1), true),
        new("unclean.leader.election.enable", TopicConfigType.Boolean, _ => "false", IsBoolean, false),
    ];

    private static readonly Dictionary<string, TopicConfigDefinition> ByName =
        Definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Every accepted config, in name order (the order DescribeConfigs lists them).</summary>
    public static IReadOnlyList<TopicConfigDefinition> All => Definitions;

    public static bool TryGet(string name, out TopicConfigDefinition definition) =>
        ByName.TryGetValue(name, out definition!);

    /// <summary>Why <paramref name="value"/> is not acceptable for <paramref name="name"/>, or null when it is.</summary>
    public static string? Check(string name, string? value)
    {
        if (!ByName.TryGetValue(name, out var definition))
        {
            return $"Unknown topic config name: {name}";
        }
        if (value is null)
        {
            return $"Null value not supported for topic config {name}";
        }
        return definition.Validate(value) is { } problem ? $"Invalid value {value} for configuration {name}: {problem}" : null;
    }

    internal static long ParseLong(string value) => long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    internal static CleanupPolicy ParseCleanup(string value)
    {
        var policy = Storage.Log.CleanupPolicy.None;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policy |= part == "compact" ? Storage.Log.CleanupPolicy.Compact : Storage.Log.CleanupPolicy.Delete;
        }
        return policy;
    }

    private static string FormatCleanup(CleanupPolicy policy) => policy switch
    {
        Storage.Log.CleanupPolicy.Compact => "compact",
        Storage.Log.CleanupPolicy.Delete | Storage.Log.CleanupPolicy.Compact => "compact,delete",
        _ => "delete",
    };

    private static string? ValidateCleanupPolicy(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return "must name delete, compact or both";
        }
        foreach (var part in parts)
        {
            if (part is not ("delete" or "compact"))
            {
                return $"String must be one of: compact, delete (not {part})";
            }
        }
        return null;
    }

    private static string? OneOf(string value, params string[] allowed) =>
        Array.IndexOf(allowed, value) >= 0 ? null : $"String must be one of: {string.Join(", ", allowed)}";

    private static string? IsBoolean(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase)
            ? null
            : "Expected value to be either true or false";

    private static string? LongAtLeast(string value, long minimum) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number >= minimum ? null : $"Value must be at least {minimum}"
            : "Not a number of type LONG";

    private static string? IntAtLeast(string value, int minimum) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number >= minimum ? null : $"Value must be at least {minimum}"
            : "Not a number of type INT";

    private static string? ValidateRatio(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? null
            : "Value must be a number from 0 to 1";

    private static string Milliseconds(TimeSpan time) => Invariant((long)time.TotalMilliseconds);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
