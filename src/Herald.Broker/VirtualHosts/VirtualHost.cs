using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Herald.Broker.Exchanges;
using Herald.Broker.Queues;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.VirtualHosts;

/// <summary>
/// A namespace of exchanges, queues and bindings (DESIGN.md section 2). Lookups and publishing are lock-free reads
/// of concurrent dictionaries and router snapshots; declarations, deletions and (un)binds are serialized by one
/// async lock and made durable in the metadata store before they take effect, so a durable entity a client was
/// told exists survives a crash. The partial files split it: exchanges, queues, bindings, publishing, persistence.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim needs disposing only once its AvailableWaitHandle is used; it never is.")]
public sealed partial class VirtualHost
{
    /// <summary>The exchanges every virtual host has, as RabbitMQ declares them.</summary>
    private static readonly (string Name, ExchangeType Type)[] StandardExchanges =
    [
        ("", ExchangeType.Direct),
        ("amq.direct", ExchangeType.Direct),
        ("amq.fanout", ExchangeType.Fanout),
        ("amq.topic", ExchangeType.Topic),
        ("amq.headers", ExchangeType.Headers),
        ("amq.match", ExchangeType.Headers),
    ];

    private readonly StorageEngine _storage;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Exchange> _exchanges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue> _queues = new(StringComparer.Ordinal);
    private readonly Func<string, Exchange?> _resolveExchange;

    internal VirtualHost(string name, StorageEngine storage, ReadyMemoryBudget readyMemory, TimeProvider clock, ILogger logger)
    {
        Name = name;
        ReadyMemory = readyMemory;
        _storage = storage;
        _clock = clock;
        _logger = logger;
        _resolveExchange = exchangeName => _exchanges.GetValueOrDefault(exchangeName);
        foreach (var (exchangeName, type) in StandardExchanges)
        {
            _exchanges[exchangeName] = new Exchange(exchangeName, type, durable: true, autoDelete: false, @internal: false,
                Messages.NeutralValue.EmptyTable);
        }
    }

    public string Name { get; }

    /// <summary>The node's memory budget for ready messages, shared by every virtual host.</summary>
    internal ReadyMemoryBudget ReadyMemory { get; }

    public IReadOnlyCollection<Exchange> Exchanges => (IReadOnlyCollection<Exchange>)_exchanges.Values;

    public IReadOnlyCollection<Queue> Queues => (IReadOnlyCollection<Queue>)_queues.Values;

    public bool TryGetExchange(string name, [NotNullWhen(true)] out Exchange? exchange) => _exchanges.TryGetValue(name, out exchange);

    public bool TryGetQueue(string name, [NotNullWhen(true)] out Queue? queue) => _queues.TryGetValue(name, out queue);

    /// <summary>The queue called <paramref name="name"/>, usable by <paramref name="connection"/> (404 / 405 otherwise).</summary>
    public Queue GetQueue(string name, object? connection)
    {
        if (!_queues.TryGetValue(name, out var queue) || queue.IsDeleted)
        {
            throw NoQueue(name);
        }
        queue.CheckOwner(connection);
        return queue;
    }

    /// <summary>Opens the delivery state of one protocol channel; close it with <see cref="DeliverySession.Close"/>.</summary>
    public DeliverySession OpenSession(object? connection, IDeliveryTarget target) => new(this, connection, target);

    /// <summary>A connection closed: its exclusive queues are deleted (AMQP exclusive = owned by one connection).</summary>
    public async Task ReleaseConnectionAsync(object connection)
    {
        foreach (var queue in _queues.Values)
        {
            if (ReferenceEquals(queue.Owner, connection))
            {
                await DeleteQueueCoreAsync(queue, "its connection closed", CancellationToken.None);
            }
        }
    }

    /// <summary>A random name part for server-named queues and consumer tags (URL-safe base64 of 16 random bytes).</summary>
    public static string RandomName() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private MessagingException NoQueue(string name) => MessagingException.NotFound($"no queue '{name}' in vhost '{Name}'");

    private MessagingException NoExchange(string name) => MessagingException.NotFound($"no exchange '{name}' in vhost '{Name}'");

    /// <summary>Flushes acknowledgement snapshots (clean shutdown).</summary>
    internal void Close()
    {
        foreach (var queue in _queues.Values)
        {
            queue.Close();
        }
    }
}
