namespace Herald.Broker.Topics;

/// <summary>Broker-wide topic settings (Kafka's <c>auto.create.topics.enable</c> and <c>num.partitions</c>).</summary>
public sealed record TopicRegistryOptions
{
    /// <summary>Create a topic on first use through metadata requests that allow it. Default on, as Kafka.</summary>
    public bool AutoCreateTopics { get; init; } = true;

    /// <summary>Partitions of an auto-created topic, or of one created without a count. Default 1, as Kafka.</summary>
    public int DefaultPartitions { get; init; } = 1;

    /// <summary>Upper bound on partitions per topic, so one request cannot open millions of logs.</summary>
    public int MaxPartitions { get; init; } = 10_000;
}
