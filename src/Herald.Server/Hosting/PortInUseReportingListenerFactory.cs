using System.Net;
using Herald.Server.Hosting.Transport;
using Herald.Server.Hosting.Transport.EventLoop;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Herald.Server.Hosting;

/// <summary>
/// Kestrel's socket transport, except that binding a taken port throws <see cref="PortInUseException"/> carrying the
/// endpoint. Kestrel's own error carries the address only as text, and the host needs the port to say which
/// protocol could not listen. Registered before Kestrel, whose own registration then steps aside. A
/// <see cref="LargeReceiveEndPoint"/> (a listener that asked for large socket reads) is bound with
/// <see cref="LargeReceiveSocketListener"/> instead, with the same scheduling as Kestrel's
/// (<paramref name="inlineScheduling"/>: <c>SocketTransportOptions.UnsafePreferInlineScheduling</c>).
/// </summary>
internal sealed class PortInUseReportingListenerFactory(SocketTransportFactory sockets, bool inlineScheduling)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        try
        {
            return endpoint switch
            {
                LargeReceiveEndPoint large => LargeReceiveSocketListener.Bind(large, inlineScheduling),
                EventLoopEndPoint eventLoop => EventLoopSocketListener.Bind(eventLoop),
                _ => await sockets.BindAsync(endpoint, cancellationToken),
            };
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
