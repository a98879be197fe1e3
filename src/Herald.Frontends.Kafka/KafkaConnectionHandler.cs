using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Kafka;

/// <summary>
/// The Kafka listener's Kestrel entry point: one instance per listener, created by Kestrel through dependency
/// injection; each accepted connection runs a <see cref="KafkaConnection"/> until it closes. Kestrel builds the
/// handler while the host is composed, before the broker has loaded, so it takes a way to reach the broker
/// (<paramref name="broker"/>) and asks per connection. Thread-safe (it holds only shared, immutable state).
/// </summary>
public sealed class KafkaConnectionHandler(Func<Broker.Broker> broker, KafkaFrontendOptions options, ILoggerFactory loggerFactory)
    : ConnectionHandler
{
    private readonly KafkaApiTable _apis = KafkaApiTable.CreateDefault();
    private readonly ILogger _logger = loggerFactory.CreateLogger<KafkaConnectionHandler>();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var session = new KafkaConnection(connection, broker(), options, _apis, _logger);
        await session.RunAsync();
    }
}
