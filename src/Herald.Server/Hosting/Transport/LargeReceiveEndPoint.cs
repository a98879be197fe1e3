using System.Net;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// A listener address that asks for <see cref="LargeReceiveSocketListener"/> instead of Kestrel's socket transport:
/// Kestrel picks a transport by endpoint alone, so the endpoint carries the choice. It is still an
/// <see cref="IPEndPoint"/> for everything else (Kestrel's address handling, the ready line).
/// </summary>
internal sealed class LargeReceiveEndPoint(IPAddress address, int port, int receiveBytes, bool kafkaFrames) : IPEndPoint(address, port)
{
    /// <summary>The most bytes one receive call may read: the size of each input pipe segment.</summary>
    public int ReceiveBytes { get; } = receiveBytes;

    /// <summary>Receives follow Kafka's frames (<see cref="Herald.Protocols.Kafka.KafkaFrameBoundaries"/>).</summary>
    public bool KafkaFrames { get; } = kafkaFrames;
}
