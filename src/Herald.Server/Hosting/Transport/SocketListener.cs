using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// A listener of Herald's own transports: bound and accepted as Kestrel's socket transport does (dual-mode on the
/// IPv6 wildcard, no Nagle on accepted sockets); each transport says how it serves an accepted socket
/// (<see cref="Serve"/>). Kestrel drives it through <see cref="IConnectionListener"/>. Thread-safe: Kestrel accepts on
/// one loop and unbinds from another.
/// </summary>
internal abstract class SocketListener(Socket socket) : IConnectionListener
{
    private const int Backlog = 512;

    public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

    /// <summary>Binds and listens on <paramref name="endpoint"/>.</summary>
    /// <exception cref="AddressInUseException">The port is taken.</exception>
    protected static Socket BindSocket(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts serving an accepted socket (Nagle off) as a connection.</summary>
    protected abstract ConnectionContext Serve(Socket accepted);

    /// <summary>The next connection, or null once unbound.</summary>
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null; // unbound while accepting
            }
            catch (SocketException)
            {
                continue; // the peer gave up before the accept (a reset in the backlog): take the next one
            }
            try
            {
                accepted.NoDelay = true;
            }
            catch (SocketException)
            {
                accepted.Dispose(); // reset already: take the next one
                continue;
            }
            return Serve(accepted);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public virtual ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
