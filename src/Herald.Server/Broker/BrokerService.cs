using Herald.Broker.Groups;
using Herald.Broker.Resources;
using Herald.Broker.Topics;
using Herald.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Broker;

/// <summary>
/// Creates the node's <see cref="Herald.Broker.Broker"/> once the storage engine is open and disposes it before the
/// engine closes. Registered right after <see cref="StorageService"/>, so hosted-service ordering gives exactly that;
/// both start before the listeners, so every connection handler can use <see cref="Broker"/>. It also runs the
/// node's <see cref="ResourceMonitor"/> (memory and disk alarms) from the broker's start to its stop.
/// </summary>
internal sealed class BrokerService(StorageService storage, HeraldOptions options, ResourceAlarms alarms, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    /// <summary>How often memory and free disk space are checked (RabbitMQ checks memory every 0.5-2.5 s, disk every 10 s or less).</summary>
    private static readonly TimeSpan ResourceCheckInterval = TimeSpan.FromSeconds(1);

    private Herald.Broker.Broker? _broker;
    private ResourceMonitor? _resources;

    public Herald.Broker.Broker Broker => _broker ?? throw new InvalidOperationException("The broker is not running.");

    public ResourceMonitor Resources => _resources ?? throw new InvalidOperationException("The broker is not running.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var topics = new TopicRegistryOptions
        {
            AutoCreateTopics = options.AutoCreateTopics,
            DefaultPartitions = options.DefaultPartitions,
        };
        var groups = new GroupCoordinatorOptions
        {
            InitialRebalanceDelay = options.GroupInitialRebalanceDelay,
            OffsetsRetention = options.OffsetsRetention,
        };
        var broker = new Herald.Broker.Broker(storage.Engine, TimeProvider.System, loggerFactory, topics, groups);
        // Before StartAsync: recovering queues decodes only the messages that fit the budget.
        broker.VirtualHosts.ReadyMemory.LimitBytes = options.QueueMemoryBudgetBytes;
        // Persisted state (topics and their logs) is loaded before any listener accepts a connection.
        await broker.StartAsync(cancellationToken);
        var resources = new ResourceMonitor(alarms, options.DataDirectory, options.MemoryHighWatermark, options.DiskFreeLimitBytes,
            TimeProvider.System, loggerFactory.CreateLogger<ResourceMonitor>());
        resources.Start(ResourceCheckInterval);
        _resources = resources;
        _broker = broker;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        var resources = Interlocked.Exchange(ref _resources, null);
        if (resources is not null)
        {
            await resources.DisposeAsync();
        }
        var broker = Interlocked.Exchange(ref _broker, null);
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }
    }
}
