using System.Net;

namespace Herald.Server.Hosting.Transport.EventLoop;

/// <summary>
/// A listener address that asks for <see cref="EventLoopSocketListener"/> instead of Kestrel's socket transport
/// (Kestrel picks a transport by endpoint alone, so the endpoint carries the choice, as
/// <see cref="LargeReceiveEndPoint"/> does). <see cref="Name"/> names the loop threads.
/// </summary>
internal sealed class EventLoopEndPoint(IPAddress address, int port, string name) : IPEndPoint(address, port)
{
    public string Name { get; } = name;
}
