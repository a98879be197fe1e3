using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Herald.Server.Hosting;

/// <summary>
/// Kestrel's socket transport, except that binding a taken port throws <see cref="PortInUseException"/> carrying the
/// endpoint. Kestrel's own error carries the address only as text, and the host needs the port to say which
/// protocol could not listen. Registered before Kestrel, whose own registration then steps aside.
/// </summary>
internal sealed class PortInUseReportingListenerFactory(SocketTransportFactory sockets)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        try
        {
            return await sockets.BindAsync(endpoint, cancellationToken);
        }
        catch (AddressInUseException e)
        {
            throw new PortInUseException(endpoint, e);
        }
    }

    public bool CanBind(EndPoint endpoint) => sockets.CanBind(endpoint);
}

/// <summary>A listener's port is taken by another process (or another listener of this node).</summary>
internal sealed class PortInUseException(EndPoint endpoint, Exception innerException)
    : Exception($"{endpoint} is already in use", innerException)
{
    public EndPoint EndPoint { get; } = endpoint;
}
