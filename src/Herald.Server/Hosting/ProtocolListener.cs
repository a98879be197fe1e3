using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Herald.Server.Hosting;

/// <summary>
/// A TCP listener the host binds on <see cref="HeraldOptions.BindAddress"/>: the protocol's name (used in logs and
/// in the <c>herald: NAME listening on ADDRESS</c> line), the option holding its port, and how Kestrel serves the
/// connections it accepts. Wire-protocol front ends are Kestrel <see cref="ConnectionHandler"/>s and join through
/// <see cref="ForConnectionHandler{THandler}"/>; HTTP runs Kestrel's own HTTP pipeline.
/// <see cref="ReceiveBytes"/> above zero serves the listener with <see cref="Transport.LargeReceiveSocketListener"/>,
/// which reads the socket in pieces of that size, for protocols whose requests are large (Kafka produce batches);
/// zero keeps Kestrel's socket transport (4 KiB reads, no buffer held while a connection is idle).
/// <see cref="KafkaFrames"/> makes that transport's receives follow Kafka's frames, so large requests reach the
/// handler whole (<see cref="Herald.Protocols.Kafka.KafkaFrameBoundaries"/>). <see cref="EventLoop"/> serves the
/// listener with <see cref="Transport.EventLoop.EventLoopSocketListener"/> (where supported: Linux x86-64), whose own
/// epoll threads receive and run the handler, for protocols of many small requests.
/// </summary>
internal sealed record ProtocolListener(string Name, Func<HeraldOptions, int> Port, Action<ListenOptions> Configure,
    int ReceiveBytes = 0, bool KafkaFrames = false, bool EventLoop = false)
{
    public static ProtocolListener ForConnectionHandler<THandler>(string name, Func<HeraldOptions, int> port,
        int receiveBytes = 0, bool kafkaFrames = false, bool eventLoop = false)
        where THandler : ConnectionHandler =>
        new(name, port, listen => listen.UseConnectionHandler<THandler>(), receiveBytes, kafkaFrames, eventLoop);

    /// <summary>
    /// The HTTP endpoints mapped on the application. HTTP/1.1 only: without TLS, clients cannot negotiate HTTP/2, and
    /// the health and management endpoints gain nothing from it.
    /// </summary>
    public static ProtocolListener Http(string name, Func<HeraldOptions, int> port) =>
        new(name, port, listen => listen.Protocols = HttpProtocols.Http1);
}
