using System.Net;
using Herald.Broker;
using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka;

/// <summary>
/// What a handler knows about the request it serves: the connection it came on, its header and version. A value
/// copied into handlers; cheap to capture in a pending response. Request bodies may hold slices of the frame's
/// memory (the connection's input, or a pooled copy), which is reused once the handler's HandleAsync has completed,
/// so anything kept for later (a pending response) must be copied (strings and numbers already are).
/// </summary>
internal readonly struct KafkaRequestContext(KafkaConnection connection, RequestHeader header)
{
    public KafkaConnection Connection { get; } = connection;

    public RequestHeader Header { get; } = header;

    public short ApiVersion => Header.RequestApiVersion;

    public Broker.Broker Broker => Connection.Broker;

    public KafkaFrontendOptions Options => Connection.Options;

    public TimeProvider Clock => Connection.Broker.Clock;

    /// <summary>Fires when the connection is closing: long-polling fetches answer with what they have.</summary>
    public CancellationToken Closing => Connection.Closing;

    /// <summary>The broker endpoint to advertise to this client (see <see cref="KafkaFrontendOptions.AdvertisedHost"/>).</summary>
    public (string Host, int Port) AdvertisedEndpoint => Connection.AdvertisedEndpoint;
}
