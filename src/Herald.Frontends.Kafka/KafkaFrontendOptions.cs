using System.Net;

namespace Herald.Frontends.Kafka;

/// <summary>
/// Settings of the Kafka listener, filled by the server from its options. Immutable once the listener starts.
/// </summary>
public sealed record KafkaFrontendOptions
{
    /// <summary>
    /// Largest request frame accepted, in bytes (Kafka's <c>socket.request.max.bytes</c>, 100 MiB). A bigger size
    /// prefix closes the connection before anything is buffered.
    /// </summary>
    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>
    /// Requests one connection may have waiting for their responses (produces awaiting durability, long-polling
    /// fetches). When reached, the connection stops reading until the oldest response goes out, so a client
    /// pipelining without limit is pushed back through TCP instead of growing memory.
    /// </summary>
    public int MaxInFlightRequests { get; init; } = 256;

    /// <summary>This node's id in Metadata responses (and the controller id: a single node is its own controller).</summary>
    public int NodeId { get; init; }

    /// <summary>The address the listener binds; when it is a wildcard the advertised host comes from each connection.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>
    /// Host clients are told to connect to (Metadata brokers). Null advertises the bind address, or when that is a
    /// wildcard (0.0.0.0, ::) the local address each client reached, which is by construction one it can reach.
    /// </summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Port clients are told to connect to; null advertises the port the client connected to.</summary>
    public int? AdvertisedPort { get; init; }
}
