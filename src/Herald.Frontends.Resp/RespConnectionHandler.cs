using Herald.Frontends.Resp.Connections;
using Microsoft.AspNetCore.Connections;

namespace Herald.Frontends.Resp;

/// <summary>
/// Kestrel's entry point for a RESP listener (<c>listen.UseConnectionHandler&lt;RespConnectionHandler&gt;()</c>): each
/// accepted connection becomes a <see cref="RespConnection"/> that runs until the client leaves, sends QUIT, breaks
/// the protocol or is killed. A connection's failure ends that connection only. One instance per listener; Kestrel
/// calls it concurrently.
/// </summary>
public sealed class RespConnectionHandler(RespFrontend frontend) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var client = new RespConnection(frontend, connection);
        await client.RunAsync();
    }
}
