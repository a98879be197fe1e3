using Herald.Bench.Cli;

namespace Herald.Bench.Amqp;

/// <summary>
/// Volumes of one <c>amqp</c> run, derived from the command line. A publish case stops after
/// <see cref="CaseSeconds"/> or <see cref="CaseBytes"/> of message bodies, whichever comes first; the consume case of
/// the same size and client count drains the queue its publish case filled.
/// </summary>
internal sealed record AmqpSettings
{
    /// <summary>The issue's fixed, moderate rate of the latency cases (all publishers together).</summary>
    public const int LatencyMessagesPerSecond = 10_000;

    /// <summary>Latency samples of messages sent in the first half second are dropped (connections and JIT settling).</summary>
    public const double LatencyWarmUpSeconds = 0.5;

    /// <summary>The memory case: 1 KiB persistent messages left in a queue without consumers (issue 5).</summary>
    public const int MemoryMessageSize = 1024;

    public const int MemoryPublishers = 4;

    /// <summary>Herald's resident-memory goal for the memory case.</summary>
    public const long MemoryGoalBytes = 200L * 1000 * 1000;

    public static readonly IReadOnlyList<int> MessageSizes = [16, 1024];

    public static readonly IReadOnlyList<int> ClientCounts = [1, 4];

    public required double CaseSeconds { get; init; }

    public required long CaseBytes { get; init; }

    public required int Rounds { get; init; }

    public required double LatencySeconds { get; init; }

    public required double WarmUpSeconds { get; init; }

    public required int MemoryMessages { get; init; }

    /// <summary>Herald's fsync policies to measure, each as its own server next to RabbitMQ.</summary>
    public required IReadOnlyList<string> FsyncPolicies { get; init; }

    public static AmqpSettings From(BenchOptions options, IReadOnlyList<string>? fsyncPolicies) => new()
    {
        CaseSeconds = options.Seconds,
        CaseBytes = (options.CaseMiB ?? (options.Quick ? 128 : 1024)) << 20,
        Rounds = options.Rounds,
        LatencySeconds = options.Quick ? 2 : Math.Max(5, options.Seconds),
        WarmUpSeconds = options.Quick ? 1 : 2,
        MemoryMessages = options.Quick ? 100_000 : 1_000_000,
        FsyncPolicies = fsyncPolicies ?? (options.Quick ? ["always"] : ["always", "interval"]),
    };

    public static string CaseId(string kind, int messageSize, int clients) =>
        $"{kind}-{(messageSize >= 1024 ? $"{messageSize / 1024}k" : $"{messageSize}b")}-x{clients}";
}
