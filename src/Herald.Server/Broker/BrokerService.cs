using Herald.Broker.Groups;
using Herald.Broker.Topics;
using Herald.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Broker;

/// <summary>
/// Creates the node's <see cref="Herald.Broker.Broker"/> once the storage engine is open and disposes it before the
/// engine closes. Registered right after <see cref="StorageService"/>, so hosted-service ordering gives exactly that;
/// both start before the listeners, so every connection handler can use <see cref="Broker"/>.
/// </summary>
internal sealed class BrokerService(StorageService storage, HeraldOptions options, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private Herald.Broker.Broker? _broker;

    public Herald.Broker.Broker Broker => _broker ?? throw new InvalidOperationException("The broker is not running.");

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
        // Persisted state (topics and their logs) is loaded before any listener accepts a connection.
        await broker.StartAsync(cancellationToken);
        _broker = broker;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        var broker = Interlocked.Exchange(ref _broker, null);
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }
    }
}
