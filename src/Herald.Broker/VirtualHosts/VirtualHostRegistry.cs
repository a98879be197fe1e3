using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Herald.Broker.Queues;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.VirtualHosts;

/// <summary>
/// The node's virtual hosts (DESIGN.md section 2), each persisted as <c>vhost/&lt;name&gt;</c>. The default host
/// <c>/</c> always exists. <see cref="LoadAsync"/> restores every host's durable exchanges, queues and bindings
/// and removes queue logs no queue refers to any more (a deletion a crash interrupted).
/// </summary>
public sealed class VirtualHostRegistry
{
    public const string DefaultName = "/";
    private const string KeyPrefix = "vhost/";

    private readonly StorageEngine _storage;
    private readonly TimeProvider _clock;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ConcurrentDictionary<string, VirtualHost> _hosts = new(StringComparer.Ordinal);

    public VirtualHostRegistry(StorageEngine storage, TimeProvider clock, ILoggerFactory loggerFactory)
    {
        _storage = storage;
        _clock = clock;
        _loggerFactory = loggerFactory;
    }

    public VirtualHost Default => _hosts[DefaultName];

    /// <summary>Bytes of ready messages held in memory across all hosts; set its limit before the broker starts.</summary>
    public ReadyMemoryBudget ReadyMemory { get; } = new();

    public IReadOnlyCollection<VirtualHost> All => (IReadOnlyCollection<VirtualHost>)_hosts.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out VirtualHost? host) => _hosts.TryGetValue(name, out host);

    /// <summary>Creates a virtual host (durable before it returns); an existing one is returned as is.</summary>
    public async Task<VirtualHost> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (_hosts.TryGetValue(name, out var existing))
        {
            return existing;
        }
        await _storage.Metadata.PutAsync(KeyPrefix + name, [], cancellationToken);
        return _hosts.GetOrAdd(name, n => New(n));
    }

    internal async Task LoadAsync(CancellationToken cancellationToken)
    {
        var entries = _storage.Metadata.Entries;
        if (!entries.ContainsKey(KeyPrefix + DefaultName))
        {
            await _storage.Metadata.PutAsync(KeyPrefix + DefaultName, [], cancellationToken);
            entries = _storage.Metadata.Entries;
        }
        var referencedLogs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in entries.Keys)
        {
            if (key.StartsWith(KeyPrefix, StringComparison.Ordinal))
            {
                var host = New(key[KeyPrefix.Length..]);
                host.Load(entries, referencedLogs);
                _hosts[host.Name] = host;
            }
        }
        foreach (var log in _storage.ListStoredLogs())
        {
            if (log.StartsWith(Queue.LogNamePrefix, StringComparison.Ordinal) && !referencedLogs.Contains(log))
            {
                await _storage.DeleteLogAsync(log);
            }
        }
    }

    /// <summary>Writes final acknowledgement snapshots (clean shutdown, before the storage engine closes).</summary>
    internal void Close()
    {
        foreach (var host in _hosts.Values)
        {
            host.Close();
        }
    }

    private VirtualHost New(string name) => new(name, _storage, ReadyMemory, _clock, _loggerFactory.CreateLogger<VirtualHost>());
}
