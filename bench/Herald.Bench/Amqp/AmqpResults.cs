using Herald.Bench.Common;

namespace Herald.Bench.Amqp;

/// <summary>One case on one broker in one round: its load figures, its latencies (latency cases), or why it failed.</summary>
internal sealed record AmqpCaseRun(string Case, string Broker, int Round, LoadSample? Load, LatencySample? Latency, string? Error);

/// <summary>
/// The memory case on one broker: messages left queued, how fast they were published, resident memory (VmRSS) before
/// and after, and the anonymous part of it after (heap rather than mapped files).
/// </summary>
internal sealed record AmqpMemoryRun(string Broker, long Messages, double PublishPerSecond, double ServerMicrosPerMessage,
    long ResidentBytesBefore, long ResidentBytesAfter, long AnonymousResidentBytesAfter, string? Error);

/// <summary>Everything one <c>amqp</c> run measured, written as JSON by <see cref="ResultsFile"/>.</summary>
internal sealed record AmqpResults(DateTimeOffset Started, MachineInfo Machine, string LoadAverageAtEnd, AmqpSettings Settings,
    int ConfirmWindow, int Prefetch, IReadOnlyList<AmqpCaseRun> Runs, IReadOnlyList<AmqpMemoryRun> Memory);
