using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp;

/// <summary>
/// Settings of the RESP front end, every one with Redis's default where Redis has one. Read once when the
/// <see cref="RespFrontend"/> is created.
/// </summary>
public sealed class RespFrontendOptions
{
    /// <summary>Limits on each request (Redis: proto-max-bulk-len, client-query-buffer-limit).</summary>
    public RespReaderLimits RequestLimits { get; set; } = RespReaderLimits.Default;

    /// <summary>
    /// A subscriber whose unsent output would pass this is disconnected at once (Redis
    /// <c>client-output-buffer-limit pubsub 32mb 8mb 60</c>: the hard limit).
    /// </summary>
    public long PubSubOutputHardLimitBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>A subscriber whose unsent output stays above this for <see cref="PubSubOutputSoftLimitDuration"/> is disconnected.</summary>
    public long PubSubOutputSoftLimitBytes { get; set; } = 8L * 1024 * 1024;

    public TimeSpan PubSubOutputSoftLimitDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Replies waiting to be sent past which a connection stops running commands until the client has read them
    /// down to half of it. Redis lets a normal client's output grow without bound; Herald pushes back instead, so a
    /// client that pipelines without reading costs at most this much.
    /// </summary>
    public long ReplyBackpressureBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The Redis version Herald reports (HELLO, INFO). Clients switch features on by version; 7.2.0 is the release
    /// whose command set and replies the front end follows (CLIENT SETINFO, HELLO, RESP3).
    /// </summary>
    public string RedisVersion { get; set; } = "7.2.0";
}
