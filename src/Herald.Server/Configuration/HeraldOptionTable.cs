using System.Globalization;
using System.Net;
using System.Text;
using Herald.Broker.Resources;

namespace Herald.Server.Configuration;

/// <summary>
/// The one list of Herald's settings. The command-line switch mappings, the environment-variable mapping, the
/// <c>herald.json</c> keys, validation of values and the <c>--help</c> text are all derived from it, so a setting
/// added here is available everywhere at once. Flag, variable and key are spelled out in full so each can be found
/// by searching for it.
/// </summary>
internal static class HeraldOptionTable
{
    public const string ConfigFlag = "--config";
    public const string DefaultConfigFile = "herald.json";

    public static IReadOnlyList<OptionDefinition> All { get; } =
    [
        new(ConfigFlag, "HERALD_CONFIG", "config", "path",
            "JSON file whose keys are the camelCase names below. Missing is fine unless named explicitly.",
            _ => DefaultConfigFile, Set: null),
        new("--data-dir", "HERALD_DATA_DIR", "dataDir", "path",
            "Directory for logs and metadata. Created if missing; locked while Herald runs.",
            o => o.DataDirectory, SetDataDirectory),
        new("--bind", "HERALD_BIND", "bind", "address",
            "IP address every listener binds. The default accepts connections from other machines; use 127.0.0.1 to stay local.",
            o => o.BindAddress.ToString(), SetBindAddress),
        Port("--kafka-port", "HERALD_KAFKA_PORT", "kafkaPort", "Kafka listener port.",
            o => o.KafkaPort, (o, v) => o.KafkaPort = v),
        new("--kafka-advertised-host", "HERALD_KAFKA_ADVERTISED_HOST", "kafkaAdvertisedHost", "host",
            "Host Kafka clients are told to connect to. Empty: the bind address, or the address a client reached when binding all.",
            o => o.KafkaAdvertisedHost, (o, v) => { o.KafkaAdvertisedHost = v; return null; }),
        // Not a listener port (Port() would add "0 picks a free port"): 0 means "the port the client reached".
        Integer("--kafka-advertised-port", "HERALD_KAFKA_ADVERTISED_PORT", "kafkaAdvertisedPort", "port",
            "Port Kafka clients are told to connect to; 0 means the port they reached.", 0, HeraldOptions.MaxPort,
            o => o.KafkaAdvertisedPort, (o, v) => o.KafkaAdvertisedPort = (int)v,
            expected: $"a port number 0..{HeraldOptions.MaxPort}"),
        Boolean("--auto-create-topics", "HERALD_AUTO_CREATE_TOPICS", "autoCreateTopics",
            "Create a topic when a client first asks for it (Kafka's auto.create.topics.enable).",
            o => o.AutoCreateTopics, (o, v) => o.AutoCreateTopics = v),
        Integer("--default-partitions", "HERALD_DEFAULT_PARTITIONS", "defaultPartitions", "count",
            "Partitions of a topic created without a count (Kafka's num.partitions).", minimum: 1, maximum: 10_000,
            o => o.DefaultPartitions, (o, v) => o.DefaultPartitions = (int)v),
        Integer("--group-initial-rebalance-delay-ms", "HERALD_GROUP_INITIAL_REBALANCE_DELAY_MS", "groupInitialRebalanceDelayMs", "ms",
            "How long a new or empty consumer group waits for more members before its first rebalance (Kafka's group.initial.rebalance.delay.ms).",
            minimum: 0, maximum: int.MaxValue,
            o => (long)o.GroupInitialRebalanceDelay.TotalMilliseconds, (o, v) => o.GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(v)),
        Integer("--offsets-retention-minutes", "HERALD_OFFSETS_RETENTION_MINUTES", "offsetsRetentionMinutes", "minutes",
            "How long an empty consumer group's committed offsets are kept (Kafka's offsets.retention.minutes).",
            minimum: 1, maximum: int.MaxValue,
            o => (long)o.OffsetsRetention.TotalMinutes, (o, v) => o.OffsetsRetention = TimeSpan.FromMinutes(v)),
        Port("--amqp-port", "HERALD_AMQP_PORT", "amqpPort", "AMQP 0-9-1 listener port.",
            o => o.AmqpPort, (o, v) => o.AmqpPort = v),
        Port("--resp-port", "HERALD_RESP_PORT", "respPort", "RESP (Redis protocol) listener port.",
            o => o.RespPort, (o, v) => o.RespPort = v),
        Port("--http-port", "HERALD_HTTP_PORT", "httpPort", "HTTP listener port: /health/live and /health/ready.",
            o => o.HttpPort, (o, v) => o.HttpPort = v),
        Choice("--fsync", "HERALD_FSYNC", "fsync",
            "When appends reach the disk: after each append, every --fsync-interval-ms, or when the OS decides.",
            o => o.Fsync, (o, v) => o.Fsync = v),
        Integer("--fsync-interval-ms", "HERALD_FSYNC_INTERVAL_MS", "fsyncIntervalMs", "ms",
            "Time between fsyncs when --fsync is interval.", minimum: 1, maximum: int.MaxValue,
            o => (long)o.FsyncInterval.TotalMilliseconds, (o, v) => o.FsyncInterval = TimeSpan.FromMilliseconds(v)),
        Integer("--segment-bytes", "HERALD_SEGMENT_BYTES", "segmentBytes", "bytes",
            "Size at which a log's active segment rolls over to a new file.", minimum: 1, maximum: long.MaxValue,
            o => o.SegmentSizeBytes, (o, v) => o.SegmentSizeBytes = v),
        Integer("--retention-check-interval-ms", "HERALD_RETENTION_CHECK_INTERVAL_MS", "retentionCheckIntervalMs", "ms",
            "Time between runs of retention and compaction over every log (Kafka's log.retention.check.interval.ms).",
            minimum: 1, maximum: int.MaxValue,
            o => (long)o.RetentionCheckInterval.TotalMilliseconds, (o, v) => o.RetentionCheckInterval = TimeSpan.FromMilliseconds(v)),
        new("--memory-high-watermark", "HERALD_MEMORY_HIGH_WATERMARK", "memoryHighWatermark", "fraction|size",
            "Memory use above which AMQP publishers and Kafka producers are held back and RESP writes refused (RabbitMQ's vm_memory_high_watermark): a fraction of RAM such as 0.4, or a size such as 2GB or 512MiB.",
            o => o.MemoryHighWatermark.ToString(), SetMemoryHighWatermark),
        Size("--disk-free-limit", "HERALD_DISK_FREE_LIMIT", "diskFreeLimit",
            "Free space on the data directory's filesystem below which AMQP publishers and Kafka producers are held back and RESP writes refused (RabbitMQ's disk_free_limit): 50MB, 1GB, 2GiB or bytes.",
            o => o.DiskFreeLimitBytes, (o, v) => o.DiskFreeLimitBytes = v),
        Size("--queue-memory-budget", "HERALD_QUEUE_MEMORY_BUDGET", "queueMemoryBudget",
            "Bytes of ready AMQP message bodies held in memory across all queues; beyond it durable queues keep new messages on disk only and read them back near the head: 16MiB, 64MB or bytes.",
            o => o.QueueMemoryBudgetBytes, (o, v) => o.QueueMemoryBudgetBytes = v),
        Choice("--log-format", "HERALD_LOG_FORMAT", "logFormat",
            "Console log format: a line of text per event, or a JSON object per line.",
            o => o.LogFormat, (o, v) => o.LogFormat = v),
    ];

    /// <summary>The <c>--help</c> text: precedence, then every row with its variable, key and default.</summary>
    public static string FormatHelp()
    {
        var defaults = new HeraldOptions();
        var text = new StringBuilder();
        text.AppendLine("Usage: herald [options]");
        text.AppendLine();
        text.AppendLine("Runs a Herald broker node: Kafka, AMQP 0-9-1 and RESP over one storage engine.");
        text.AppendLine("Each option can also be set by its environment variable or its key in herald.json.");
        text.AppendLine("Flags win over environment variables, which win over herald.json.");
        text.AppendLine();
        text.AppendLine("Options:");
        foreach (var option in All)
        {
            var usage = $"{option.Flag} <{option.ValueName}>";
            var key = option.Set is null ? "" : $", json \"{option.ConfigKey}\"";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {usage,-38} env {option.EnvironmentVariable}{key}, default {option.Default(defaults)}");
            text.AppendLine(CultureInfo.InvariantCulture, $"      {option.Help}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  {"--help",-38} Print this help and exit.");
        return text.ToString();
    }

    private static string? SetDataDirectory(HeraldOptions options, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "a directory path";
        }

        options.DataDirectory = value;
        return null;
    }

    private static string? SetBindAddress(HeraldOptions options, string value)
    {
        if (!IPAddress.TryParse(value, out var address))
        {
            return "an IP address such as 0.0.0.0, 127.0.0.1 or ::";
        }

        options.BindAddress = address;
        return null;
    }

    private static string? SetMemoryHighWatermark(HeraldOptions options, string value)
    {
        if (!MemoryHighWatermark.TryParse(value, out var watermark))
        {
            return "a fraction of RAM such as 0.4, or a size such as 2GB, 512MiB or 1073741824";
        }

        options.MemoryHighWatermark = watermark;
        return null;
    }

    /// <summary>A byte size: a number of bytes or one with a kB/MB/GB (1000) or KiB/MiB/GiB (1024) suffix.</summary>
    private static OptionDefinition Size(
        string flag, string environmentVariable, string configKey, string help,
        Func<HeraldOptions, long> get, Action<HeraldOptions, long> set) =>
        new(flag, environmentVariable, configKey, "size", help, o => ByteSize.Format(get(o)), (o, value) =>
        {
            if (!ByteSize.TryParse(value, out var bytes))
            {
                return "a size such as 50MB, 16MiB, 2GiB or a number of bytes";
            }

            set(o, bytes);
            return null;
        });

    private static OptionDefinition Port(
        string flag, string environmentVariable, string configKey, string help,
        Func<HeraldOptions, int> get, Action<HeraldOptions, int> set) =>
        Integer(flag, environmentVariable, configKey, "port", help + " 0 picks a free port.", 0, HeraldOptions.MaxPort,
            o => get(o), (o, v) => set(o, (int)v), expected: $"a port number 0..{HeraldOptions.MaxPort}");

    private static OptionDefinition Integer(
        string flag, string environmentVariable, string configKey, string valueName, string help,
        long minimum, long maximum, Func<HeraldOptions, long> get, Action<HeraldOptions, long> set,
        string? expected = null) =>
        new(flag, environmentVariable, configKey, valueName, help,
            o => get(o).ToString(CultureInfo.InvariantCulture),
            (options, value) =>
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                    || number < minimum || number > maximum)
                {
                    return expected ?? $"a whole number from {minimum} to {maximum}";
                }

                set(options, number);
                return null;
            });

    /// <summary>A true/false row; values are matched without regard to case.</summary>
    private static OptionDefinition Boolean(
        string flag, string environmentVariable, string configKey, string help,
        Func<HeraldOptions, bool> get, Action<HeraldOptions, bool> set) =>
        new(flag, environmentVariable, configKey, "true|false", help,
            o => get(o) ? "true" : "false",
            (options, value) =>
            {
                if (!bool.TryParse(value, out var parsed))
                {
                    return "true or false";
                }

                set(options, parsed);
                return null;
            });

    /// <summary>An enum-valued row; values are the member names in lower case, matched without regard to case.</summary>
    private static OptionDefinition Choice<TEnum>(
        string flag, string environmentVariable, string configKey, string help,
        Func<HeraldOptions, TEnum> get, Action<HeraldOptions, TEnum> set)
        where TEnum : struct, Enum
    {
        var names = Enum.GetNames<TEnum>();
        var valueName = string.Join('|', names.Select(n => n.ToLowerInvariant()));
        return new(flag, environmentVariable, configKey, valueName, help,
            o => get(o).ToString().ToLowerInvariant(),
            (options, value) =>
            {
                // Enum.TryParse would also accept numbers such as "1"; only the names are part of the interface.
                var name = Array.Find(names, n => n.Equals(value, StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    return $"one of {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}";
                }

                set(options, Enum.Parse<TEnum>(name));
                return null;
            });
    }
}
