namespace Herald.Frontends.Amqp;

/// <summary>
/// Settings of the AMQP front end, each with RabbitMQ 3.x's default. Read once when the <see cref="AmqpFrontend"/>
/// is created.
/// </summary>
public sealed class AmqpFrontendOptions
{
    /// <summary>Highest channel number a client may open (RabbitMQ <c>channel_max</c>, 2047).</summary>
    public ushort ChannelMax { get; set; } = 2047;

    /// <summary>Largest frame in bytes, header and frame-end included (RabbitMQ <c>frame_max</c>, 131072).</summary>
    public uint FrameMax { get; set; } = 131072;

    /// <summary>Heartbeat the server proposes in connection.tune (RabbitMQ <c>heartbeat</c>, 60 s); zero proposes none.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time from accept to connection.open-ok before the connection is dropped (RabbitMQ <c>handshake_timeout</c>).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time to wait for the client's connection.close-ok after the server closes (RabbitMQ waits a few seconds).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Largest message body a publisher may send (RabbitMQ 3.x <c>max_message_size</c>, 128 MiB); larger is 406 PRECONDITION_FAILED.</summary>
    public ulong MaxMessageSizeBytes { get; set; } = 128UL * 1024 * 1024;

    /// <summary>Virtual hosts clients may open. RabbitMQ starts with only <c>/</c>.</summary>
    public IReadOnlyCollection<string> VirtualHosts { get; set; } = ["/"];

    /// <summary>Users and their passwords. RabbitMQ starts with <c>guest</c>/<c>guest</c>.</summary>
    public IReadOnlyDictionary<string, string> Users { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal) { ["guest"] = "guest" };

    /// <summary>Users who may only connect from a loopback address (RabbitMQ <c>loopback_users</c>, <c>guest</c>).</summary>
    public IReadOnlyCollection<string> LoopbackUsers { get; set; } = ["guest"];

    /// <summary>The version Herald reports in connection.start's server properties.</summary>
    public string ProductVersion { get; set; } = "0.1.0";
}
