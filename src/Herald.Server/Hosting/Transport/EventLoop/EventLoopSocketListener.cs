using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Hosting.Transport.EventLoop;

/// <summary>
/// A TCP listener whose connections are served by event loops of its own (<see cref="SocketEventLoop"/>), handed
/// out in turn. One loop per two cores: a loop runs its connections' handlers, and the other core is left for the
/// thread pool's work (fsync callbacks, timers) and, on small machines, the clients. The loops stop when Kestrel
/// disposes the listener, after its connections.
/// </summary>
internal sealed class EventLoopSocketListener : SocketListener
{
    private readonly SocketEventLoop[] _loops;
    private int _nextLoop;

    private EventLoopSocketListener(Socket socket, string name)
        : base(socket)
    {
        _loops = new SocketEventLoop[Math.Max(1, Environment.ProcessorCount / 2)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = new SocketEventLoop($"herald-{name}-loop-{i}");
        }
    }

    /// <exception cref="AddressInUseException">The port is taken.</exception>
    public static EventLoopSocketListener Bind(EventLoopEndPoint endpoint) => new(BindSocket(endpoint), endpoint.Name);

    protected override ConnectionContext Serve(Socket accepted)
    {
        accepted.Blocking = false;
        var loop = _loops[(uint)Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length];
        var connection = new EventLoopSocketConnection(accepted, loop);
        connection.Start();
        return connection;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}
