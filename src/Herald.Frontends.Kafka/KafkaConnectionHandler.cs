using Herald.Broker.Resources;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Kafka;

/// <summary>
/// The Kafka listener's Kestrel entry point: one instance per listener, created by Kestrel through dependency
/// injection; each accepted connection runs a <see cref="KafkaConnection"/> until it closes. Kestrel builds the
/// handler while the host is composed, before the broker has loaded, so it takes a way to reach the broker
/// (<paramref name="broker"/>) and asks per connection. The node's resource alarms (<paramref name="alarms"/>, when
/// the host registers them) hold produce requests back while in effect. Thread-safe (it holds only shared, immutable
/// state).
/// </summary>
public sealed class KafkaConnectionHandler(Func<Broker.Broker> broker, KafkaFrontendOptions options, ILoggerFactory loggerFactory,
    ResourceAlarms? alarms = null)
    : ConnectionHandler
{
    private readonly ResourceAlarms _alarms = alarms ?? new ResourceAlarms();
    private readonly KafkaApiTable _apis = KafkaApiTable.CreateDefault();
    private readonly ILogger _logger = loggerFactory.CreateLogger<KafkaConnectionHandler>();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var session = new KafkaConnection(connection, broker(), options, _apis, _alarms, _logger);
        await session.RunAsync();
    }
}
