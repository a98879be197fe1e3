namespace Herald.Broker.Topics;

/// <summary>
/// A stream as Kafka sees it: a name, a topic id issued at creation (Kafka's UUID, never reused, so a deleted and
/// recreated topic is told apart), a fixed set of partitions and its configs. Created and owned by
/// <see cref="TopicRegistry"/>; <see cref="Configs"/> is swapped whole on alter, everything else is immutable.
/// Thread-safe.
/// </summary>
public sealed class Topic
{
    private TopicConfigs _configs;

    internal Topic(string name, Guid id, TopicConfigs configs)
    {
        Name = name;
        Id = id;
        _configs = configs;
    }

    public string Name { get; }

    public Guid Id { get; }

    public TopicConfigs Configs => Volatile.Read(ref _configs);

    public IReadOnlyList<Partition> Partitions { get; private set; } = [];

    /// <summary>The partition with <paramref name="index"/>, or null when the topic has no such partition.</summary>
    public Partition? GetPartition(int index)
    {
        var partitions = Partitions;
        return (uint)index < (uint)partitions.Count ? partitions[index] : null;
    }

    internal void SetPartitions(Partition[] partitions) => Partitions = partitions;

    internal void SetConfigs(TopicConfigs configs) => Volatile.Write(ref _configs, configs);

    public override string ToString() => Name;
}
