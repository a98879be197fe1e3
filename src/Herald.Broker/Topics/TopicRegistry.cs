using System.Diagnostics.CodeAnalysis;
using Herald.Storage;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Topics;

/// <summary>The outcome of <see cref="TopicRegistry.CreateAsync"/>: the topic (null after a validate-only request).</summary>
public readonly record struct TopicCreateResult(TopicError Error, string? Message, Topic? Topic, int Partitions, TopicConfigs? Configs)
{
    public static TopicCreateResult Failed(TopicError error, string message) => new(error, message, null, -1, null);
}

/// <summary>
/// Every topic of the node: creation (explicit and automatic), deletion, config changes, and lookup by name or
/// topic id. Each topic is persisted in the metadata store (<see cref="TopicRecord"/>) before it becomes visible,
/// and its partitions are logs named <c>&lt;topic&gt;-&lt;partition&gt;</c> opened through the storage engine with
/// settings derived from its configs.
///
/// Deletion is crash-safe in two steps: one metadata write removes <c>topic/&lt;name&gt;</c> and records
/// <c>topic-deletion/&lt;id&gt;</c>, then the logs are deleted and the marker removed. A crash in between leaves the
/// marker, and <see cref="LoadAsync"/> finishes the job before any topic is served, so a recreated topic of the
/// same name never sees old data.
///
/// Thread-safety: lookups are lock-free reads of an immutable snapshot; changes are serialized by one async lock
/// and publish a new snapshot. Lifetime: one per broker, loaded at start; logs belong to the storage engine.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim needs disposing only once its AvailableWaitHandle is used; it never is.")]
public sealed class TopicRegistry
{
    private const string TopicKeyPrefix = "topic/";
    private const string DeletionKeyPrefix = "topic-deletion/";

    private readonly StorageEngine _storage;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changeLock = new(1, 1);
    private TopicTable _table = TopicTable.Empty;

    public TopicRegistry(StorageEngine storage, TopicRegistryOptions options, TimeProvider clock, ILogger<TopicRegistry> logger)
    {
        _storage = storage;
        Options = options;
        _clock = clock;
        _logger = logger;
    }

    public TopicRegistryOptions Options { get; }

    /// <summary>The storage engine's default log settings, which topic configs are applied over.</summary>
    public LogOptions BaselineLogOptions => _storage.DefaultLogOptions;

    /// <summary>Every topic, ordered by name. A snapshot: later changes do not affect it.</summary>
    public IReadOnlyList<Topic> All => Volatile.Read(ref _table).Sorted;

    public bool TryGet(string name, [NotNullWhen(true)] out Topic? topic) =>
        Volatile.Read(ref _table).ByName.TryGetValue(name, out topic);

    public bool TryGet(Guid id, [NotNullWhen(true)] out Topic? topic) =>
        Volatile.Read(ref _table).ById.TryGetValue(id, out topic);

    /// <summary>
    /// Reads the topics from the metadata store and opens their partition logs, after finishing any deletion a
    /// crash interrupted. Called once, at broker start, before any front end serves.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var entries = _storage.Metadata.Entries;
        foreach (var (key, value) in entries)
        {
            if (key.StartsWith(DeletionKeyPrefix, StringComparison.Ordinal) && TopicRecord.TryParse(value) is { } deleted)
            {
                _logger.LogInformation("Finishing the deletion of topic {Topic} interrupted by a restart", deleted.Name);
                await DeleteLogsAsync(deleted);
                await _storage.Metadata.DeleteAsync(key, cancellationToken);
            }
        }
        var loaded = new List<Topic>();
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(TopicKeyPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var record = TopicRecord.TryParse(value);
            var configs = record is null ? null : TopicConfigs.TryCreate(record.Configs.Select(c => KeyValuePair.Create(c.Key, (string?)c.Value)), out _);
            if (record is null || configs is null)
            {
                _logger.LogError("Metadata entry {Key} is not a valid topic record; the topic is not served", key);
                continue;
            }
            loaded.Add(Open(record.Name, record.Id, record.Partitions, configs));
        }
        var table = TopicTable.Of(loaded);
        Volatile.Write(ref _table, table);
        _logger.LogInformation("Loaded {Count} topics", table.Sorted.Length);
    }

    /// <summary>
    /// Creates a topic with <paramref name="partitions"/> partitions (null: <see cref="TopicRegistryOptions.DefaultPartitions"/>)
    /// and the given configs; with <paramref name="validateOnly"/> only checks that it could. The topic is durable
    /// in the metadata store before this returns.
    /// </summary>
    public async Task<TopicCreateResult> CreateAsync(string name, int? partitions,
        IEnumerable<KeyValuePair<string, string?>> configs, bool validateOnly, CancellationToken cancellationToken = default)
    {
        var count = partitions ?? Options.DefaultPartitions;
        if (count < 1 || count > Options.MaxPartitions)
        {
            return TopicCreateResult.Failed(TopicError.InvalidPartitions,
                $"Number of partitions must be from 1 to {Options.MaxPartitions}, not {count}.");
        }
        if (TopicNames.Check(name) is { } badName)
        {
            return TopicCreateResult.Failed(TopicError.InvalidTopicName, badName);
        }
        var topicConfigs = TopicConfigs.TryCreate(configs, out var configProblem);
        if (topicConfigs is null)
        {
            return TopicCreateResult.Failed(TopicError.InvalidConfig, configProblem!);
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            var table = Volatile.Read(ref _table);
            if (table.ByName.ContainsKey(name))
            {
                return TopicCreateResult.Failed(TopicError.TopicAlreadyExists, $"Topic '{name}' already exists.");
            }
            if (table.CollisionKeys.TryGetValue(TopicNames.CollisionKey(name), out var other))
            {
                return TopicCreateResult.Failed(TopicError.InvalidTopicName,
                    $"Topic '{name}' collides with existing topic: {other}");
            }
            if (validateOnly)
            {
                return new TopicCreateResult(TopicError.None, null, null, count, topicConfigs);
            }
            var record = new TopicRecord(name, NewTopicId(table), count, new Dictionary<string, string>(topicConfigs.Overrides, StringComparer.Ordinal));
            await _storage.Metadata.PutAsync(TopicKeyPrefix + name, record.ToUtf8(), cancellationToken);
            var topic = Open(name, record.Id, count, topicConfigs);
            Volatile.Write(ref _table, table.With(topic));
            _logger.LogInformation("Created topic {Topic} ({Id}) with {Partitions} partitions", name, record.Id, count);
            return new TopicCreateResult(TopicError.None, null, topic, count, topicConfigs);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>
    /// The topic called <paramref name="name"/>, created with the defaults when it does not exist and automatic
    /// creation is on (Kafka's auto-creation through metadata requests).
    /// </summary>
    public async Task<(Topic? Topic, TopicError Error, string? Message)> GetOrCreateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (TryGet(name, out var existing))
        {
            return (existing, TopicError.None, null);
        }
        if (!Options.AutoCreateTopics)
        {
            return (null, TopicError.UnknownTopicOrPartition, $"Topic '{name}' does not exist and auto-creation is off.");
        }
        var created = await CreateAsync(name, null, [], validateOnly: false, cancellationToken);
        if (created.Error == TopicError.TopicAlreadyExists && TryGet(name, out existing))
        {
            return (existing, TopicError.None, null); // another connection created it first
        }
        return (created.Topic, created.Error, created.Message);
    }

    /// <summary>Deletes the topic and its data; see the type summary for crash safety.</summary>
    public async Task<TopicError> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            var table = Volatile.Read(ref _table);
            if (!table.ByName.TryGetValue(name, out var topic))
            {
                return TopicError.UnknownTopicOrPartition;
            }
            var record = new TopicRecord(topic.Name, topic.Id, topic.Partitions.Count, []);
            await _storage.Metadata.WriteAsync(
            [
                new(TopicKeyPrefix + name, null),
                new(DeletionKeyPrefix + topic.Id.ToString("N"), record.ToUtf8()),
            ], cancellationToken);
            Volatile.Write(ref _table, table.Without(topic));
            foreach (var partition in topic.Partitions)
            {
                partition.WakeWaiters();
            }
            // The deletion is decided and durable: finish it even if the caller gives up waiting.
            await DeleteLogsAsync(record);
            await _storage.Metadata.DeleteAsync(DeletionKeyPrefix + topic.Id.ToString("N"), CancellationToken.None);
            _logger.LogInformation("Deleted topic {Topic} ({Id})", name, topic.Id);
            return TopicError.None;
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>
    /// Replaces the topic's configs with <paramref name="configs"/> (Kafka AlterConfigs semantics: names left out
    /// return to their defaults) and applies them to its logs.
    /// </summary>
    public async Task<(TopicError Error, string? Message)> AlterConfigsAsync(string name,
        IEnumerable<KeyValuePair<string, string?>> configs, bool validateOnly, CancellationToken cancellationToken = default)
    {
        var topicConfigs = TopicConfigs.TryCreate(configs, out var problem);
        if (topicConfigs is null)
        {
            return (TopicError.InvalidConfig, problem);
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (!TryGet(name, out var topic))
            {
                return (TopicError.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            if (validateOnly)
            {
                return (TopicError.None, null);
            }
            var record = new TopicRecord(name, topic.Id, topic.Partitions.Count,
                new Dictionary<string, string>(topicConfigs.Overrides, StringComparer.Ordinal));
            await _storage.Metadata.PutAsync(TopicKeyPrefix + name, record.ToUtf8(), cancellationToken);
            topic.SetConfigs(topicConfigs);
            var logOptions = topicConfigs.ToLogOptions(BaselineLogOptions);
            foreach (var partition in topic.Partitions)
            {
                partition.Log.UpdateOptions(logOptions);
            }
            _logger.LogInformation("Changed the configs of topic {Topic}", name);
            return (TopicError.None, null);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>
    /// Grows topic <paramref name="name"/> to <paramref name="count"/> partitions (Kafka CreatePartitions); with
    /// <paramref name="validateOnly"/> only checks that it could. Partitions are never removed: a count that is not
    /// an increase is INVALID_PARTITIONS with Kafka's messages. The new count is durable in the metadata store
    /// before the new partitions become visible; existing partitions and their data are untouched.
    /// </summary>
    public async Task<(TopicError Error, string? Message)> CreatePartitionsAsync(string name, int count, bool validateOnly,
        CancellationToken cancellationToken = default)
    {
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (!TryGet(name, out var topic))
            {
                return (TopicError.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            var existing = topic.Partitions.Count;
            if (count == existing)
            {
                return (TopicError.InvalidPartitions, $"Topic already has {existing} partition(s).");
            }
            if (count < existing)
            {
                return (TopicError.InvalidPartitions,
                    $"The topic {name} currently has {existing} partition(s); {count} would not be an increase.");
            }
            if (count > Options.MaxPartitions)
            {
                return (TopicError.InvalidPartitions, $"Number of partitions must be at most {Options.MaxPartitions}, not {count}.");
            }
            if (validateOnly)
            {
                return (TopicError.None, null);
            }
            var configs = topic.Configs;
            var record = new TopicRecord(name, topic.Id, count, new Dictionary<string, string>(configs.Overrides, StringComparer.Ordinal));
            await _storage.Metadata.PutAsync(TopicKeyPrefix + name, record.ToUtf8(), cancellationToken);
            var logOptions = configs.ToLogOptions(BaselineLogOptions);
            var grown = new Partition[count];
            for (var i = 0; i < count; i++)
            {
                grown[i] = i < existing ? topic.Partitions[i] : OpenPartition(topic, i, logOptions);
            }
            topic.SetPartitions(grown);
            _logger.LogInformation("Topic {Topic} grew from {Old} to {New} partitions", name, existing, count);
            return (TopicError.None, null);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    private Topic Open(string name, Guid id, int partitions, TopicConfigs configs)
    {
        var topic = new Topic(name, id, configs);
        var logOptions = configs.ToLogOptions(BaselineLogOptions);
        var opened = new Partition[partitions];
        for (var i = 0; i < partitions; i++)
        {
            opened[i] = OpenPartition(topic, i, logOptions);
        }
        topic.SetPartitions(opened);
        return topic;
    }

    private Partition OpenPartition(Topic topic, int index, LogOptions logOptions) =>
        new(topic, index, _storage.OpenLog(Partition.LogName(topic.Name, index), logOptions), _clock);

    private async Task DeleteLogsAsync(TopicRecord record)
    {
        for (var i = 0; i < record.Partitions; i++)
        {
            await _storage.DeleteLogAsync(Partition.LogName(record.Name, i));
        }
    }

    /// <summary>A random, non-zero topic id not in use (Kafka reserves the zero UUID for "no id").</summary>
    private static Guid NewTopicId(TopicTable table)
    {
        while (true)
        {
            var id = Guid.NewGuid();
            if (id != Guid.Empty && !table.ById.ContainsKey(id))
            {
                return id;
            }
        }
    }

    /// <summary>An immutable snapshot of the topics, indexed three ways; replaced whole on every change.</summary>
    private sealed record TopicTable(
        Dictionary<string, Topic> ByName, Dictionary<Guid, Topic> ById, Dictionary<string, string> CollisionKeys, Topic[] Sorted)
    {
        public static readonly TopicTable Empty = new([], [], [], []);

        /// <summary>A table of <paramref name="topics"/> built in one pass (startup may load thousands).</summary>
        public static TopicTable Of(List<Topic> topics)
        {
            var byName = new Dictionary<string, Topic>(topics.Count, StringComparer.Ordinal);
            var byId = new Dictionary<Guid, Topic>(topics.Count);
            var keys = new Dictionary<string, string>(topics.Count, StringComparer.Ordinal);
            foreach (var topic in topics)
            {
                byName[topic.Name] = topic;
                byId[topic.Id] = topic;
                keys[TopicNames.CollisionKey(topic.Name)] = topic.Name;
            }
            return new TopicTable(byName, byId, keys, Sort(byName));
        }

        public TopicTable With(Topic topic)
        {
            var byName = new Dictionary<string, Topic>(ByName, StringComparer.Ordinal) { [topic.Name] = topic };
            var byId = new Dictionary<Guid, Topic>(ById) { [topic.Id] = topic };
            var keys = new Dictionary<string, string>(CollisionKeys, StringComparer.Ordinal) { [TopicNames.CollisionKey(topic.Name)] = topic.Name };
            return new TopicTable(byName, byId, keys, Sort(byName));
        }

        public TopicTable Without(Topic topic)
        {
            var byName = new Dictionary<string, Topic>(ByName, StringComparer.Ordinal);
            byName.Remove(topic.Name);
            var byId = new Dictionary<Guid, Topic>(ById);
            byId.Remove(topic.Id);
            var keys = new Dictionary<string, string>(CollisionKeys, StringComparer.Ordinal);
            keys.Remove(TopicNames.CollisionKey(topic.Name));
            return new TopicTable(byName, byId, keys, Sort(byName));
        }

        private static Topic[] Sort(Dictionary<string, Topic> byName)
        {
            var sorted = byName.Values.ToArray();
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            return sorted;
        }
    }
}
