using System.Collections.Concurrent;
using System.Security.Cryptography;
using Herald.Broker.Resources;
using Herald.Frontends.Resp.Commands;
using Herald.Frontends.Resp.Connections;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Resp;

/// <summary>
/// The RESP front end's node-wide state, shared by every connection: the broker, the command table, the registry of
/// open connections (CLIENT LIST, CLIENT KILL, INFO clients) and the counters behind INFO. One per node, created by
/// the server's composition root (see <see cref="RespServiceCollectionExtensions"/>) and alive as long as the node;
/// thread-safe.
/// <para>
/// The broker is reached through a delegate, resolved on first use: Kestrel builds connection handlers while the host
/// starts, before the service that creates the broker has run, and no connection arrives before the broker exists.
/// </para>
/// </summary>
public sealed class RespFrontend
{
    private readonly Lazy<Herald.Broker.Broker> _broker;
    private readonly ConcurrentDictionary<long, RespConnection> _connections = new();
    private long _lastConnectionId;

    /// <param name="alarms">The node's resource alarms, which refuse writes while in effect (none: never refused).</param>
    public RespFrontend(Func<Herald.Broker.Broker> broker, RespFrontendOptions options, ILoggerFactory loggerFactory,
        TimeProvider? clock = null, ResourceAlarms? alarms = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _broker = new Lazy<Herald.Broker.Broker>(broker, LazyThreadSafetyMode.ExecutionAndPublication);
        Options = options;
        Logger = loggerFactory.CreateLogger<RespConnectionHandler>();
        Clock = clock ?? TimeProvider.System;
        StartedAt = Clock.GetUtcNow();
        RunId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        Commands = RespCommands.CreateTable();
        Alarms = alarms ?? new ResourceAlarms();
    }

    public RespFrontendOptions Options { get; }

    internal Herald.Broker.Broker Broker => _broker.Value;

    internal RespCommandTable Commands { get; }

    internal ResourceAlarms Alarms { get; }

    internal RespStatistics Statistics { get; } = new();

    internal ILogger Logger { get; }

    internal TimeProvider Clock { get; }

    internal DateTimeOffset StartedAt { get; }

    /// <summary>Random per start, as Redis's <c>run_id</c>.</summary>
    internal string RunId { get; }

    /// <summary>Open connections, in no particular order.</summary>
    internal ICollection<RespConnection> Connections => _connections.Values;

    internal int ConnectionCount => _connections.Count;

    /// <summary>Redis client ids start at 1 and are never reused while the node runs.</summary>
    internal long NextConnectionId() => Interlocked.Increment(ref _lastConnectionId);

    internal void Register(RespConnection connection)
    {
        _connections[connection.Id] = connection;
        Statistics.ConnectionReceived();
    }

    internal void Unregister(RespConnection connection) => _connections.TryRemove(connection.Id, out _);

    internal RespConnection? FindConnection(long id) => _connections.GetValueOrDefault(id);

    /// <summary>Open connections by ascending id, the order CLIENT LIST shows them in.</summary>
    internal List<RespConnection> ConnectionsById()
    {
        var list = new List<RespConnection>(_connections.Values);
        list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return list;
    }
}
