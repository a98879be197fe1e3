namespace Herald.Broker.Streams;

/// <summary>A consumer group of a stream: its position, its consumers and its pending entries list (PEL).</summary>
public sealed class StreamGroup
{
    internal StreamGroup(byte[] name, long incarnation, StreamId lastDelivered, long entriesRead)
    {
        Name = name;
        Incarnation = incarnation;
        LastDelivered = lastDelivered;
        EntriesRead = entriesRead;
    }

    public byte[] Name { get; }

    /// <summary>Random per XGROUP CREATE; scopes the group's persisted consumers and pending entries.</summary>
    internal long Incarnation { get; }

    public StreamId LastDelivered { get; internal set; }

    /// <summary>Entries the group has read (Redis's entries-read), or -1 when unknown.</summary>
    public long EntriesRead { get; internal set; }

    /// <summary>Every pending entry of the group, by ID.</summary>
    internal SortedDictionary<StreamId, PendingEntry> Pending { get; } = [];

    /// <summary>Consumers by name, in byte order (as Redis's radix tree lists them).</summary>
    internal SortedDictionary<byte[], StreamConsumer> Consumers { get; } = new(ByteOrder.Instance);

    public int PendingCount => Pending.Count;

    public IEnumerable<PendingEntry> PendingEntries => Pending.Values;

    public IEnumerable<StreamConsumer> AllConsumers => Consumers.Values;

    public StreamConsumer? FindConsumer(byte[] name) => Consumers.GetValueOrDefault(name);
}

/// <summary>A consumer of a group: its names, times and its own view of the pending entries it owns.</summary>
public sealed class StreamConsumer
{
    internal StreamConsumer(byte[] name, long seenTime, long activeTime)
    {
        Name = name;
        SeenTime = seenTime;
        ActiveTime = activeTime;
    }

    public byte[] Name { get; }

    /// <summary>Last time the consumer tried an interaction (read, claim), Unix ms.</summary>
    public long SeenTime { get; internal set; }

    /// <summary>Last successful interaction (delivered or claimed something), Unix ms, or -1 never.</summary>
    public long ActiveTime { get; internal set; }

    internal SortedDictionary<StreamId, PendingEntry> Pending { get; } = [];

    public int PendingCount => Pending.Count;

    public IEnumerable<PendingEntry> PendingEntries => Pending.Values;
}

/// <summary>A delivered, not yet acknowledged entry: who has it, since when, how many times it was delivered.</summary>
public sealed class PendingEntry
{
    internal PendingEntry(StreamId id, StreamConsumer consumer, long deliveryTime, long deliveryCount)
    {
        Id = id;
        Consumer = consumer;
        DeliveryTime = deliveryTime;
        DeliveryCount = deliveryCount;
    }

    public StreamId Id { get; }

    public StreamConsumer Consumer { get; internal set; }

    public long DeliveryTime { get; internal set; }

    public long DeliveryCount { get; internal set; }
}

/// <summary>Orders byte strings as memcmp does (then shorter first), the order Redis lists keys and names in.</summary>
public sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
