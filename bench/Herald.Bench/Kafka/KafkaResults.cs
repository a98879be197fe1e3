using Herald.Bench.Common;
using Herald.Bench.Storage;

namespace Herald.Bench.Kafka;

/// <summary>One produce configuration: record size, acks, and how many producers (one partition each) run at once.</summary>
internal sealed record ProduceCase(int RecordSize, string Acks, int Producers)
{
    public string Id => $"produce-{SizeId(RecordSize)}-acks{Acks}-x{Producers}";

    public string Label => $"produce {SizeLabel(RecordSize)}, acks={Acks}, {Producers} producer{(Producers == 1 ? "" : "s")}";

    private static readonly string[] AcksSettings = ["1", "all"];

    public static IEnumerable<ProduceCase> All() =>
        from size in KafkaSettings.RecordSizes
        from acks in AcksSettings
        from producers in KafkaSettings.ProducerCounts
        select new ProduceCase(size, acks, producers);

    public static string SizeId(int size) => size % 1024 == 0 ? $"{size / 1024}k" : $"{size}b";

    public static string SizeLabel(int size) => size % 1024 == 0 ? $"{size / 1024} KiB" : $"{size} B";
}

/// <summary>
/// One produce or consume run. Records are what the broker stored (produce: growth of the high watermarks) or what
/// the consumer received; CPU times are user + system seconds over the measured interval, the server's from
/// /proc/&lt;pid&gt;/stat, the client's from its own rusage (the benchmark process for the librdkafka producers, or the Python consumer).
/// </summary>
internal sealed record ThroughputRun(string Case, int Round, long Records, long Bytes, double Seconds,
    double ClientCpuSeconds, double ServerCpuSeconds, IReadOnlyList<string> Failures)
{
    public double RecordsPerSecond => Records / Seconds;

    public double MBps => Bytes / Seconds / 1e6;

    public double ServerCpuUsPerRecord => ServerCpuSeconds * 1e6 / Records;

    public double ClientCpuUsPerRecord => ClientCpuSeconds * 1e6 / Records;

    /// <summary>Cores kept busy on average: above ~0.9 per process the process, not its peer, set the pace.</summary>
    public double ServerCores => ServerCpuSeconds / Seconds;

    public double ClientCores => ClientCpuSeconds / Seconds;
}

/// <summary>
/// End-to-end latency at a fixed rate: send time in the payload, receive time in the same process.
/// <see cref="ConsumerReadySeconds"/> is how long the consumer took to receive its first record, before the clock
/// started.
/// </summary>
internal sealed record LatencyRun(int Round, long Records, long Samples, double P50Ms, double P99Ms, double P999Ms,
    double MaxMs, double ClientCpuSeconds, double ServerCpuSeconds, double ConsumerReadySeconds);

/// <summary>One restart of the node holding the scale data directory.</summary>
internal sealed record ScaleRun(int Round, double StartupSeconds, long ResidentBytes, double ShutdownSeconds);

/// <summary>Creating the scale data directory: the topics, and the clean shutdown after it.</summary>
internal sealed record ScaleSetup(int Topics, int PartitionsPerTopic, double CreateSeconds, double ShutdownSeconds);

/// <summary>Everything one <c>kafka</c> run measured: every raw round, and the medians and goals the report shows.</summary>
internal sealed record KafkaResults(
    DateTimeOffset StartedUtc,
    MachineInfo Machine,
    string LoadAverageAtEnd,
    KafkaSettings Settings,
    string Client,
    IReadOnlyList<LoopbackResult> Loopback,
    IReadOnlyList<DiskProbeResult> Disk,
    IReadOnlyList<ThroughputRun> Produce,
    IReadOnlyList<ThroughputRun> Consume,
    IReadOnlyList<LatencyRun> Latency,
    ScaleSetup? ScaleSetup,
    IReadOnlyList<ScaleRun> Scale,
    IReadOnlyList<GoalResult> Goals);
