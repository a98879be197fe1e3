using Herald.Frontends.Amqp.Connections;
using Microsoft.AspNetCore.Connections;

namespace Herald.Frontends.Amqp;

/// <summary>
/// Kestrel's entry point for an AMQP listener (<c>listen.UseConnectionHandler&lt;AmqpConnectionHandler&gt;()</c>):
/// each accepted connection becomes an <see cref="AmqpConnection"/> that runs until the client or the server closes
/// it. A connection's failure ends that connection only. One instance per listener; Kestrel calls it concurrently.
/// </summary>
public sealed class AmqpConnectionHandler(AmqpFrontend frontend) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await new AmqpConnection(frontend, connection).RunAsync();
    }
}
