using System.Net;
using Herald.Broker.Queues;
using Herald.Broker.Resources;
using Herald.Storage.Log;

namespace Herald.Server;

/// <summary>
/// Everything a Herald node is configured with. A new instance holds the defaults <c>herald</c> runs with; the
/// command line fills one from <c>herald.json</c>, <c>HERALD_*</c> environment variables and flags (see
/// <c>herald --help</c>), and an in-process host builds one directly and passes it to
/// <see cref="HeraldServer.StartAsync"/>. The node copies the options when it starts, so changing them afterwards
/// has no effect on a running node.
/// </summary>
public sealed class HeraldOptions
{
    /// <summary>The highest TCP port number.</summary>
    public const int MaxPort = 65535;

    /// <summary>
    /// Directory holding the logs and metadata. It is created if missing and locked (<c>.lock</c>) while the node
    /// runs, so two nodes cannot share it. A relative path resolves against the current directory at start.
    /// Default <c>./data</c>.
    /// </summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Address every listener binds. Default <see cref="IPAddress.Any"/> (0.0.0.0), which accepts connections from
    /// other machines; <see cref="IPAddress.Loopback"/> keeps the node local.
    /// </summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Any;

    /// <summary>Kafka listener port; 0 picks a free port. Default 9092.</summary>
    public int KafkaPort { get; set; } = 9092;

    /// <summary>
    /// Host name or address Kafka clients are told to connect to (the advertised listener). Empty advertises the
    /// bind address, or when that is a wildcard the local address each client reached. Default empty.
    /// </summary>
    public string KafkaAdvertisedHost { get; set; } = "";

    /// <summary>Port Kafka clients are told to connect to; 0 advertises the port the client reached. Default 0.</summary>
    public int KafkaAdvertisedPort { get; set; }

    /// <summary>Create a topic on first use (Kafka's <c>auto.create.topics.enable</c>). Default true.</summary>
    public bool AutoCreateTopics { get; set; } = true;

    /// <summary>Partitions of a topic created without a count (Kafka's <c>num.partitions</c>). Default 1.</summary>
    public int DefaultPartitions { get; set; } = 1;

    /// <summary>
    /// How long a new or empty consumer group waits for more members before its first rebalance completes (Kafka's
    /// <c>group.initial.rebalance.delay.ms</c>). Default 3 seconds.
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long committed offsets of a consumer group without members are kept after it became empty, or a "simple"
    /// commit after it was made (Kafka's <c>offsets.retention.minutes</c>). Default 7 days.
    /// </summary>
    public TimeSpan OffsetsRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>AMQP 0-9-1 listener port; 0 picks a free port. Default 5672.</summary>
    public int AmqpPort { get; set; } = 5672;

    /// <summary>RESP (Redis protocol) listener port; 0 picks a free port. Default 6379.</summary>
    public int RespPort { get; set; } = 6379;

    /// <summary>HTTP listener port (health endpoints); 0 picks a free port. Default 15672.</summary>
    public int HttpPort { get; set; } = 15672;

    /// <summary>When appended data is forced to disk. Default <see cref="FsyncPolicy.Always"/>.</summary>
    public FsyncPolicy Fsync { get; set; } = FsyncPolicy.Always;

    /// <summary>Time between fsyncs under <see cref="FsyncPolicy.Interval"/>. Default one second.</summary>
    public TimeSpan FsyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Size at which a log's active segment rolls over to a new file. Default 1 GiB.</summary>
    public long SegmentSizeBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How often retention and compaction run over every log (Kafka's <c>log.retention.check.interval.ms</c>, whose
    /// default is 5 minutes). Default one minute.
    /// </summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Memory use above which publishers are blocked (RabbitMQ's <c>vm_memory_high_watermark</c>): a fraction of the
    /// memory available to the process, or an absolute size. Default 0.4, as RabbitMQ.
    /// </summary>
    public MemoryHighWatermark MemoryHighWatermark { get; set; } = MemoryHighWatermark.Default;

    /// <summary>
    /// Free space on the data directory's filesystem below which publishers are blocked (RabbitMQ's
    /// <c>disk_free_limit</c>). Default 50 MB (50,000,000 bytes), as RabbitMQ.
    /// </summary>
    public long DiskFreeLimitBytes { get; set; } = 50_000_000;

    /// <summary>
    /// Bytes of ready AMQP message bodies the node's queues hold in memory (RabbitMQ pages classic queues to disk in
    /// the same spirit); beyond it durable queues keep only a small slot per message and read it back from their log
    /// near the head. Default <see cref="ReadyMemoryBudget.DefaultLimitBytes"/>.
    /// </summary>
    public long QueueMemoryBudgetBytes { get; set; } = ReadyMemoryBudget.DefaultLimitBytes;

    /// <summary>Console log format. Default <see cref="HeraldLogFormat.Text"/>.</summary>
    public HeraldLogFormat LogFormat { get; set; } = HeraldLogFormat.Text;

    /// <summary>
    /// Options for a node inside a test: loopback only, port 0 for every listener (read the bound ports from
    /// <see cref="HeraldInstance"/>), and a fresh data directory under the system temp directory. The directory is
    /// not deleted by Herald; the test that asked for it removes it.
    /// </summary>
    public static HeraldOptions ForTests() => new()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "herald-test-" + Guid.NewGuid().ToString("N")),
        BindAddress = IPAddress.Loopback,
        KafkaPort = 0,
        AmqpPort = 0,
        RespPort = 0,
        HttpPort = 0,
    };

    /// <summary>
    /// Problems that make the options unusable, phrased with property names. The command line reports the same
    /// problems earlier, phrased with flag names, while it parses.
    /// </summary>
    internal IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add($"{nameof(DataDirectory)} must not be empty");
        }

        if (BindAddress is null)
        {
            problems.Add($"{nameof(BindAddress)} must be set");
        }

        CheckPort(nameof(KafkaPort), KafkaPort);
        CheckPort(nameof(AmqpPort), AmqpPort);
        CheckPort(nameof(RespPort), RespPort);
        CheckPort(nameof(HttpPort), HttpPort);
        CheckPort(nameof(KafkaAdvertisedPort), KafkaAdvertisedPort);
        if (DefaultPartitions < 1)
        {
            problems.Add($"{nameof(DefaultPartitions)} must be at least 1, not {DefaultPartitions}");
        }

        if (GroupInitialRebalanceDelay < TimeSpan.Zero)
        {
            problems.Add($"{nameof(GroupInitialRebalanceDelay)} must not be negative, not {GroupInitialRebalanceDelay}");
        }

        if (OffsetsRetention < TimeSpan.FromMinutes(1))
        {
            problems.Add($"{nameof(OffsetsRetention)} must be at least one minute, not {OffsetsRetention}");
        }

        if (!Enum.IsDefined(Fsync))
        {
            problems.Add($"{nameof(Fsync)} {Fsync} is not a known policy");
        }

        if (FsyncInterval < TimeSpan.FromMilliseconds(1))
        {
            problems.Add($"{nameof(FsyncInterval)} must be at least 1 ms, not {FsyncInterval}");
        }

        if (RetentionCheckInterval < TimeSpan.FromMilliseconds(1))
        {
            problems.Add($"{nameof(RetentionCheckInterval)} must be at least 1 ms, not {RetentionCheckInterval}");
        }

        if (SegmentSizeBytes < 1)
        {
            problems.Add($"{nameof(SegmentSizeBytes)} must be positive, not {SegmentSizeBytes}");
        }

        if (MemoryHighWatermark is null)
        {
            problems.Add($"{nameof(MemoryHighWatermark)} must be set");
        }

        if (DiskFreeLimitBytes < 0)
        {
            problems.Add($"{nameof(DiskFreeLimitBytes)} must not be negative, not {DiskFreeLimitBytes}");
        }

        if (QueueMemoryBudgetBytes < 0)
        {
            problems.Add($"{nameof(QueueMemoryBudgetBytes)} must not be negative, not {QueueMemoryBudgetBytes}");
        }

        if (!Enum.IsDefined(LogFormat))
        {
            problems.Add($"{nameof(LogFormat)} {LogFormat} is not a known format");
        }

        return problems;

        void CheckPort(string name, int port)
        {
            if (port is < 0 or > MaxPort)
            {
                problems.Add($"{name} must be 0..{MaxPort}, not {port}");
            }
        }
    }

    /// <summary>A copy with <see cref="DataDirectory"/> made absolute, so later changes by the caller do not leak in.</summary>
    internal HeraldOptions ResolvedCopy()
    {
        var copy = (HeraldOptions)MemberwiseClone();
        copy.DataDirectory = Path.GetFullPath(DataDirectory);
        return copy;
    }
}
