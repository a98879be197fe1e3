using Herald.Frontends.Amqp;
using Herald.Frontends.Kafka;
using Herald.Frontends.Resp;

namespace Herald.Server.Hosting;

/// <summary>
/// The listeners a node binds, in bind order. A protocol front end joins with one row, for example
/// <c>ProtocolListener.ForConnectionHandler&lt;KafkaConnectionHandler&gt;("kafka", o =&gt; o.KafkaPort)</c>.
/// A port option without a row here is accepted and validated but not bound.
/// </summary>
internal static class HeraldListeners
{
    /// <summary>
    /// Kafka's socket reads: producers send batches of up to 1 MB per request, and reading them 4 KiB at a time (two
    /// system calls, a pipe flush and a thread hop each) cost more CPU than storing them.
    /// </summary>
    private const int KafkaReceiveBytes = 128 * 1024;

    // AMQP and RESP carry many small frames and commands: their own epoll event loops receive and run the handler on
    // one thread, with no thread-pool hop per read (Hosting/Transport/EventLoop). Kafka keeps the large-receive
    // transport, whose whole-frame receives the loop's shared buffer would give up.

    public static IReadOnlyList<ProtocolListener> All { get; } =
    [
        ProtocolListener.Http("http", o => o.HttpPort),
        ProtocolListener.ForConnectionHandler<KafkaConnectionHandler>("kafka", o => o.KafkaPort, KafkaReceiveBytes, kafkaFrames: true),
        ProtocolListener.ForConnectionHandler<AmqpConnectionHandler>("amqp", o => o.AmqpPort, eventLoop: true),
        ProtocolListener.ForConnectionHandler<RespConnectionHandler>("resp", o => o.RespPort, eventLoop: true),
    ];
}
