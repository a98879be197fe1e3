using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// What Herald's own socket transports share as Kestrel <see cref="ConnectionContext"/>s: the id, the features
/// handlers ask for (the socket itself, end points, items, the closed token), and the pipes the transport fills
/// and drains. The transports differ only in how they move bytes between socket and pipes.
/// </summary>
internal abstract class SocketConnectionContext : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature
{
    private static long s_lastId;

    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _shutdownLock = new();
    private bool _socketClosed;
    private Exception? _shutdownReason;

    /// <param name="received">The input pipe: the transport writes it, the handler reads it.</param>
    /// <param name="toSend">The output pipe: the handler writes it, the transport sends it.</param>
    protected SocketConnectionContext(Socket socket, string idPrefix, Pipe received, Pipe toSend)
    {
        Socket = socket;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionId = $"{idPrefix}{Interlocked.Increment(ref s_lastId):X8}";
        ConnectionClosed = _closed.Token;
        Transport = new DuplexPipe(received.Reader, toSend.Writer);
        Received = received.Writer;
        ToSend = toSend.Reader;
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionSocketFeature>(this);
    }

    public Socket Socket { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport { get; set; }

    /// <summary>The transport's side of the input pipe: what it received goes here.</summary>
    protected PipeWriter Received { get; }

    /// <summary>The transport's side of the output pipe: what it must send comes from here.</summary>
    protected PipeReader ToSend { get; }

    /// <summary>Completes once the transport has stopped receiving and sending (set by the transport when it starts).</summary>
    protected Task Stopped { get; set; } = Task.CompletedTask;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        ToSend.CancelPendingRead(); // ends the sending, which is waiting for output
    }

    /// <summary>Called by Kestrel once the handler has returned: ends both pipes and waits for the transport.</summary>
    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync();
        await Transport.Output.CompleteAsync();
        await Stopped;
        await base.DisposeAsync();
    }

    /// <summary>
    /// Fires <see cref="ConnectionContext.ConnectionClosed"/> once receiving has ended, off the calling thread:
    /// handlers registered on the token run when it fires. (The source is not disposed: its cancel may still be
    /// queued, and a source without a timer holds nothing.)
    /// </summary>
    protected void SignalClosed() =>
        ThreadPool.UnsafeQueueUserWorkItem(static closed => closed.Cancel(), _closed, preferLocal: false);

    /// <summary>Why the socket was closed (the first reason given to <see cref="Shutdown"/>); null while open.</summary>
    protected Exception? ShutdownReason => Volatile.Read(ref _shutdownReason);

    /// <summary>
    /// Shuts the socket down and closes it, once, from any thread; the first reason is the one the input fails with.
    /// <see cref="BeforeClose"/> runs just before the descriptor is closed.
    /// </summary>
    protected void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_socketClosed)
            {
                return;
            }
            _socketClosed = true;
            Volatile.Write(ref _shutdownReason, reason ?? new ConnectionAbortedException("The connection's send loop completed."));
            try
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already reset by the peer: closing is all that is left.
            }
            BeforeClose();
            Socket.Dispose();
        }
    }

    /// <summary>
    /// What the transport does when it stops sending (the handler completed the output, an abort, a failed send):
    /// closes the socket, completes the output pipe (failing it only with an <paramref name="unexpected"/> error) and
    /// wakes a receive held back by a full input pipe, so it sees the end too.
    /// </summary>
    protected async Task EndSendingAsync(Exception? shutdownReason, Exception? unexpected)
    {
        Shutdown(shutdownReason);
        await ToSend.CompleteAsync(unexpected);
        Received.CancelPendingFlush();
    }

    /// <summary>Called once, under the shutdown lock, while the descriptor is still open.</summary>
    protected virtual void BeforeClose()
    {
    }

    /// <summary>Errors that mean the peer reset or the socket was shut down: the input fails with a reset.</summary>
    protected static bool IsReset(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted;

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
