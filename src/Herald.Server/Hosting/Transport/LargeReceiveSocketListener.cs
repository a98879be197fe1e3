using System.Net;
using System.Net.Sockets;
using Herald.Protocols.Kafka;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// A TCP listener whose connections (<see cref="LargeReceiveSocketConnection"/>) read the socket in pieces of
/// <see cref="LargeReceiveEndPoint.ReceiveBytes"/>. Kestrel's socket transport reads at most one 4 KiB memory-pool
/// block per receive call and, before each, waits for data with a one-byte peek: two system calls and a pipe flush
/// per 4 KiB, which made reading the socket the largest single cost of a Kafka produce of 1 MB batches. Bound and
/// accepted like Kestrel's (dual-mode on the IPv6 wildcard, no Nagle); Kestrel drives it through
/// <see cref="IConnectionListener"/>. Thread-safe: Kestrel accepts on one loop and unbinds from another.
/// </summary>
internal sealed class LargeReceiveSocketListener : IConnectionListener
{
    private const int Backlog = 512;

    /// <summary>
    /// Kafka frames whose bodies are received whole: from half a receive segment (smaller ones mostly fit in one
    /// segment anyway) up to 16 MiB, far above what clients send (librdkafka's and Java's default request limit is
    /// 1 MB); larger frames are assembled by the reader as before.
    /// </summary>
    private const int MaxWholeKafkaBodyBytes = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly int _receiveBytes;
    private readonly bool _kafkaFrames;
    private readonly bool _inlineScheduling;

    private LargeReceiveSocketListener(Socket socket, int receiveBytes, bool kafkaFrames, bool inlineScheduling)
    {
        _socket = socket;
        _receiveBytes = receiveBytes;
        _kafkaFrames = kafkaFrames;
        _inlineScheduling = inlineScheduling;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    /// <summary>
    /// Binds and listens. <paramref name="inlineScheduling"/>: connections run the handler's read continuation on the
    /// thread that received the bytes and send on the thread that flushed, as Kestrel's
    /// <c>UnsafePreferInlineScheduling</c> does; otherwise both hop to the thread pool.
    /// </summary>
    /// <exception cref="AddressInUseException">The port is taken.</exception>
    public static LargeReceiveSocketListener Bind(LargeReceiveEndPoint endpoint, bool inlineScheduling)
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
        return new LargeReceiveSocketListener(socket, endpoint.ReceiveBytes, endpoint.KafkaFrames, inlineScheduling);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken);
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
            accepted.NoDelay = true;
            var frames = _kafkaFrames ? new KafkaFrameBoundaries(_receiveBytes / 2, MaxWholeKafkaBodyBytes) : null;
            var connection = new LargeReceiveSocketConnection(accepted, _receiveBytes, frames, _inlineScheduling);
            connection.Start();
            return connection;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
