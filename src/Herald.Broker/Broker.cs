using Herald.Broker.Groups;
using Herald.Broker.Producers;
using Herald.Broker.PubSub;
using Herald.Broker.Streams;
using Herald.Broker.Topics;
using Herald.Broker.VirtualHosts;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Broker;

/// <summary>
/// The facade every protocol front end calls (DESIGN.md section 5). It is protocol-neutral: front ends translate
/// their wire types into the neutral types of this project and back, and wire types never cross into it. One
/// instance per node, created once the storage engine is open and disposed before it closes; thread-safe.
/// Each area of the broker lives in its own folder and is reached through a property here.
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    public Broker(StorageEngine storage, TimeProvider clock, ILoggerFactory loggerFactory, TopicRegistryOptions? topics = null,
        GroupCoordinatorOptions? groups = null)
    {
        Storage = storage;
        Clock = clock;
        LoggerFactory = loggerFactory;
        Channels = new ChannelHub(loggerFactory.CreateLogger<ChannelHub>());
        Topics = new TopicRegistry(storage, topics ?? new TopicRegistryOptions(), clock, loggerFactory.CreateLogger<TopicRegistry>());
        ProducerIds = new ProducerIdAllocator(storage.Metadata);
        Groups = new GroupCoordinator(new CommittedOffsetStore(storage, clock), groups ?? new GroupCoordinatorOptions(), clock,
            loggerFactory.CreateLogger<GroupCoordinator>());
        Lag = new GroupLag(Topics, Groups.Offsets, clock);
        Streams = new StreamStore(storage, Topics, clock, loggerFactory.CreateLogger<StreamStore>());
        VirtualHosts = new VirtualHostRegistry(storage, clock, loggerFactory);
    }

    /// <summary>The node's storage engine: logs and the metadata store.</summary>
    public StorageEngine Storage { get; }

    /// <summary>The broker's only source of time, so tests and simulations can run it on a manual clock.</summary>
    public TimeProvider Clock { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>In-memory channels (pub/sub): Redis SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and PUBLISH.</summary>
    public ChannelHub Channels { get; }

    /// <summary>Streams as Kafka sees them: topics, their partitions and configs.</summary>
    public TopicRegistry Topics { get; }

    /// <summary>
    /// Idempotent producers' ids (Kafka InitProducerId), unique across restarts. Their per-partition sequence state
    /// lives with each <see cref="Partition"/>.
    /// </summary>
    public ProducerIdAllocator ProducerIds { get; }

    /// <summary>Consumer groups: membership, rebalances and committed offsets.</summary>
    public GroupCoordinator Groups { get; }

    /// <summary>Consumer lag per group and partition, in messages and in time, computed on demand.</summary>
    public GroupLag Lag { get; }

    /// <summary>Redis stream keys: each a single-partition topic plus its consumer groups.</summary>
    public StreamStore Streams { get; }

    /// <summary>Virtual hosts with their exchanges, queues and bindings: what AMQP clients use.</summary>
    public VirtualHostRegistry VirtualHosts { get; }

    /// <summary>The cluster's stable id (persisted at first start); set by <see cref="StartAsync"/>.</summary>
    public string ClusterId { get; private set; } = "";

    /// <summary>Loads persisted state (cluster id, topics, committed offsets, virtual hosts); called once, before any front end serves.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ClusterId = await ClusterIdentity.LoadOrCreateAsync(Storage.Metadata, cancellationToken);
        await Topics.LoadAsync(cancellationToken);
        Groups.Load();
        await Streams.LoadAsync(cancellationToken);
        await VirtualHosts.LoadAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Groups.Dispose();
        VirtualHosts.Close();
        return ValueTask.CompletedTask;
    }
}
