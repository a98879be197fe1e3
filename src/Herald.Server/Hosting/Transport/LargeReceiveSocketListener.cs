using System.Net.Sockets;
using Herald.Protocols.Kafka;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// A TCP listener whose connections (<see cref="LargeReceiveSocketConnection"/>) read the socket in pieces of
/// <see cref="LargeReceiveEndPoint.ReceiveBytes"/>. Kestrel's socket transport reads at most one 4 KiB memory-pool
/// block per receive call and, before each, waits for data with a one-byte peek: two system calls and a pipe flush
/// per 4 KiB, which made reading the socket the largest single cost of a Kafka produce of 1 MB batches.
/// </summary>
internal sealed class LargeReceiveSocketListener : SocketListener
{
    /// <summary>
    /// Kafka frames whose bodies are received whole: from half a receive segment (smaller ones mostly fit in one
    /// segment anyway) up to 16 MiB, far above what clients send (librdkafka's and Java's default request limit is
    /// 1 MB); larger frames are assembled by the reader as before.
    /// </summary>
    private const int MaxWholeKafkaBodyBytes = 16 * 1024 * 1024;

    private readonly int _receiveBytes;
    private readonly bool _kafkaFrames;
    private readonly bool _inlineScheduling;

    private LargeReceiveSocketListener(Socket socket, int receiveBytes, bool kafkaFrames, bool inlineScheduling)
        : base(socket)
    {
        _receiveBytes = receiveBytes;
        _kafkaFrames = kafkaFrames;
        _inlineScheduling = inlineScheduling;
    }

    /// <summary>
    /// Binds and listens. <paramref name="inlineScheduling"/>: connections run the handler's read continuation on the
    /// thread that received the bytes and send on the thread that flushed, as Kestrel's
    /// <c>UnsafePreferInlineScheduling</c> does; otherwise both hop to the thread pool.
    /// </summary>
    /// <exception cref="AddressInUseException">The port is taken.</exception>
    public static LargeReceiveSocketListener Bind(LargeReceiveEndPoint endpoint, bool inlineScheduling) =>
        new(BindSocket(endpoint), endpoint.ReceiveBytes, endpoint.KafkaFrames, inlineScheduling);

    protected override ConnectionContext Serve(Socket accepted)
    {
        var frames = _kafkaFrames ? new KafkaFrameBoundaries(_receiveBytes / 2, MaxWholeKafkaBodyBytes) : null;
        var connection = new LargeReceiveSocketConnection(accepted, _receiveBytes, frames, _inlineScheduling);
        connection.Start();
        return connection;
    }
}
