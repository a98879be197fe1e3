namespace Herald.Broker.Queues;

/// <summary>
/// How many bytes of message bodies the ready messages of all queues on the node may hold in memory (one per
/// <see cref="VirtualHosts.VirtualHostRegistry"/>). Beyond it, durable queues page new messages out (the log holds
/// them anyway) and read them back near the head; messages of non-durable queues always stay in memory, as
/// RabbitMQ's transient messages do, and count against it. Thread-safe: queues add and subtract under their own locks.
/// </summary>
public sealed class ReadyMemoryBudget
{
    /// <summary>
    /// 16 MiB: thousands of messages at hand for consumers (a page-in reads 128 KiB at a time anyway), while a queue
    /// of millions costs only its 24-byte slots: 1,000,000 × 1 KiB queued is about 24 MiB of slots plus this.
    /// </summary>
    public const long DefaultLimitBytes = 16L * 1024 * 1024;

    private long _usedBytes;

    public long LimitBytes { get; set; } = DefaultLimitBytes;

    /// <summary>Ready message bytes held in memory now.</summary>
    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    internal void Add(long delta) => Interlocked.Add(ref _usedBytes, delta);

    /// <summary>True when holding <paramref name="more"/> bytes as well would exceed the limit.</summary>
    internal bool IsOverWith(long more) => Interlocked.Read(ref _usedBytes) + more > LimitBytes;
}
