using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using static Herald.Server.Hosting.Transport.EventLoop.LinuxNative;

namespace Herald.Server.Hosting.Transport.EventLoop;

/// <summary>
/// One accepted socket served by a <see cref="SocketEventLoop"/>, with the contract of Kestrel's socket transport
/// (FIN completes the input, a reset fails it with <see cref="ConnectionResetException"/>, an abort with the abort's
/// reason; the socket is shut down and closed once).
/// <list type="bullet">
/// <item><b>Receiving</b> happens on the loop thread: it receives into the loop's buffer, copies the bytes into the
/// input pipe and flushes, and the pipe runs the handler inline, so the handler parses and answers the request before
/// the loop moves on. If the handler falls behind by <see cref="MaxBufferedInputBytes"/> the loop stops receiving for
/// this socket (TCP pushes back) until the handler catches up (<see cref="ResumeWhenFlushedAsync"/>).</item>
/// <item><b>Sending</b> happens on whichever thread flushed the output (the output pipe's reader is inline): one
/// non-blocking send, or writev for several segments. Only when the socket's buffer is full does the send loop
/// wait for the loop to see the socket writable again.</item>
/// </list>
/// Lifetime: <see cref="Start"/> after accept; <see cref="DisposeAsync"/> (by Kestrel, once the handler returned)
/// waits until both directions have ended. <see cref="Abort"/> from any thread.
/// </summary>
internal sealed class EventLoopSocketConnection : SocketConnectionContext
{
    /// <summary>Kestrel's default <c>MaxReadBufferSize</c>.</summary>
    private const long MaxBufferedInputBytes = 1024 * 1024;

    /// <summary>Kestrel's default <c>MaxWriteBufferSize</c>: a handler's flush waits once this much is unsent.</summary>
    private const long MaxBufferedOutputBytes = 64 * 1024;

    /// <summary>Bytes one socket may receive per loop turn before the loop serves the others.</summary>
    private const int ReceiveBudgetBytes = 256 * 1024;

    /// <summary>Segments one gathering send takes; the rest go in the next.</summary>
    private const int MaxSendVectors = 64;

    private readonly SocketEventLoop _loop;
    private readonly GCHandle _handle;
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReceiveState _receiveState; // loop thread only
    private bool _peerClosing; // loop thread only
    private MemoryHandle[]? _sendPins;

    private readonly Lock _writableLock = new();
    private long _writableSignals;
    private TaskCompletionSource? _writableWaiter;

    private enum ReceiveState
    {
        Receiving,
        PausedByHandler,
        Ended,
    }

    public EventLoopSocketConnection(Socket socket, SocketEventLoop loop)
        : this(socket, loop, CreatePipes())
    {
    }

    private EventLoopSocketConnection(Socket socket, SocketEventLoop loop, (Pipe Input, Pipe Output) pipes)
        : base(socket, "E", pipes.Input, pipes.Output)
    {
        _loop = loop;
        Descriptor = (int)socket.SafeHandle.DangerousGetHandle();
        // The loop finds this connection from an epoll event through the handle; freed once the socket has left
        // the epoll set and the loop has handled its last event (SocketEventLoop.Remove).
        _handle = GCHandle.Alloc(this);
    }

    /// <summary>
    /// Both pipes' readers run inline: the handler on the loop thread that received, the send loop on the thread
    /// that flushed. Their writers resume on the thread pool: a handler blocked on a full output and a receive
    /// held back by a full input are woken by the other side, which must not run them.
    /// </summary>
    private static (Pipe, Pipe) CreatePipes() =>
        (new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: MaxBufferedInputBytes,
                resumeWriterThreshold: MaxBufferedInputBytes / 2, useSynchronizationContext: false)),
            new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: MaxBufferedOutputBytes,
                resumeWriterThreshold: MaxBufferedOutputBytes / 2, useSynchronizationContext: false)));

    /// <summary>The socket's file descriptor (the epoll set's key; valid until the socket is closed).</summary>
    internal int Descriptor { get; }

    public void Start()
    {
        Stopped = Task.WhenAll(SendLoopAsync(), _receiveEnded.Task);
        _loop.Add(this, _handle);
    }

    /// <summary>The loop saw <paramref name="events"/>; returns true if the socket may have more to receive. Loop thread.</summary>
    internal bool OnEvents(uint events)
    {
        if ((events & (EpollOut | EpollErr | EpollHup)) != 0)
        {
            SignalWritable();
        }
        if ((events & (EpollRdHup | EpollErr | EpollHup)) != 0)
        {
            // The FIN (or error) may have come with the last data in one edge: read on to it past a short read.
            _peerClosing = true;
        }
        return (events & (EpollIn | EpollRdHup | EpollErr | EpollHup)) != 0 && ReceiveAvailable();
    }

    /// <summary>
    /// Receives until the socket is drained (a short read), handing each piece to the handler; returns true if it
    /// stopped at its budget with more possibly waiting. Loop thread.
    /// </summary>
    internal bool ReceiveAvailable()
    {
        if (_receiveState != ReceiveState.Receiving)
        {
            return false;
        }
        var buffer = _loop.ReceiveBuffer;
        var budget = ReceiveBudgetBytes;
        while (true)
        {
            var received = Receive(buffer);
            if (received < 0)
            {
                if (received == -ErrnoInterrupted)
                {
                    continue;
                }
                if (received != -ErrnoWouldBlock)
                {
                    EndReceive(TransportError(-received, "recv"));
                }
                return false;
            }
            if (received == 0)
            {
                EndReceive(null); // FIN
                return false;
            }
            Received.Write(buffer.AsSpan(0, received));
            // The handler runs here, inline, until it waits for more input (or for something else).
            var flush = Received.FlushAsync();
            if (!flush.IsCompleted)
            {
                _receiveState = ReceiveState.PausedByHandler;
                _ = ResumeWhenFlushedAsync(flush);
                return false;
            }
            var flushed = flush.Result;
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                EndReceive(null); // the handler stopped reading
                return false;
            }
            if (received < buffer.Length && !_peerClosing)
            {
                return false; // drained: edge-triggered epoll reports the next bytes that arrive
            }
            budget -= received;
            if (budget <= 0)
            {
                return true;
            }
        }
    }

    private unsafe int Receive(byte[] buffer)
    {
        var handle = Socket.SafeHandle;
        var added = false;
        try
        {
            // The reference keeps the descriptor from being closed (and its number reused) during the call.
            handle.DangerousAddRef(ref added);
            fixed (byte* bytes = buffer)
            {
                return LinuxNative.Receive(handle.DangerousGetHandle(), bytes, buffer.Length);
            }
        }
        catch (ObjectDisposedException)
        {
            return -ErrnoWouldBlock; // closed by a shutdown, which ends receiving through the loop
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The handler caught up with a full input pipe: receive again, on the loop.</summary>
    private async Task ResumeWhenFlushedAsync(ValueTask<FlushResult> flush)
    {
        var stop = true;
        try
        {
            var flushed = await flush;
            stop = flushed.IsCompleted || flushed.IsCanceled;
        }
        catch (Exception)
        {
            // The pipe failed: treat it as the handler having stopped reading.
        }
        _loop.Post(() =>
        {
            if (_receiveState != ReceiveState.PausedByHandler)
            {
                return;
            }
            if (stop)
            {
                EndReceive(null);
                return;
            }
            _receiveState = ReceiveState.Receiving;
            if (ReceiveAvailable())
            {
                _loop.ReadAgain(this);
            }
        });
    }

    /// <summary>Completes the input (with the shutdown's reason if the socket was closed first), once. Loop thread.</summary>
    private void EndReceive(Exception? error)
    {
        if (_receiveState == ReceiveState.Ended)
        {
            return;
        }
        _receiveState = ReceiveState.Ended;
        Received.Complete(ShutdownReason ?? error);
        SignalClosed();
        _receiveEnded.TrySetResult();
    }

    private async Task SendLoopAsync()
    {
        Exception? shutdownReason = null;
        Exception? unexpected = null;
        try
        {
            while (shutdownReason is null)
            {
                var result = await ToSend.ReadAsync();
                if (result.IsCanceled)
                {
                    break; // aborted
                }
                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    var writableSignals = Volatile.Read(ref _writableSignals);
                    var sent = Send(buffer);
                    if (sent >= 0)
                    {
                        buffer = buffer.Slice(sent);
                    }
                    else if (sent == -ErrnoWouldBlock)
                    {
                        await WhenWritableAsync(writableSignals);
                    }
                    else if (sent != -ErrnoInterrupted)
                    {
                        shutdownReason = TransportError(-sent, "send");
                        break;
                    }
                }
                ToSend.AdvanceTo(buffer.Start);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (ObjectDisposedException e)
        {
            shutdownReason = e; // closed by an abort, which set the reason first
        }
        catch (Exception e)
        {
            shutdownReason = unexpected = e;
        }
        finally
        {
            await EndSendingAsync(shutdownReason, unexpected);
        }
    }

    /// <summary>One non-blocking send of as much of <paramref name="buffer"/> as the socket takes: bytes, or -errno.</summary>
    private unsafe int Send(in ReadOnlySequence<byte> buffer)
    {
        var handle = Socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var socket = handle.DangerousGetHandle();
            if (buffer.IsSingleSegment)
            {
                fixed (byte* bytes = buffer.FirstSpan)
                {
                    return LinuxNative.Send(socket, bytes, buffer.FirstSpan.Length);
                }
            }
            return SendGathered(socket, buffer);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>writev of the buffer's segments (a large reply spans several), pinned for the call.</summary>
    private unsafe int SendGathered(nint socket, in ReadOnlySequence<byte> buffer)
    {
        var pins = _sendPins ??= new MemoryHandle[MaxSendVectors];
        var vectors = stackalloc IoVector[MaxSendVectors];
        var count = 0;
        try
        {
            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }
                if (count == MaxSendVectors)
                {
                    break;
                }
                pins[count] = segment.Pin();
                vectors[count] = new IoVector { Base = pins[count].Pointer, Length = (nuint)segment.Length };
                count++;
            }
            return LinuxNative.SendGathered(socket, vectors, count);
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    /// <summary>
    /// Completes when the loop has seen the socket writable after <paramref name="seenSignals"/> (read before the send
    /// that found the socket's buffer full, so a signal in between is not missed).
    /// </summary>
    private Task WhenWritableAsync(long seenSignals)
    {
        TaskCompletionSource waiter;
        lock (_writableLock)
        {
            if (_writableSignals != seenSignals)
            {
                return Task.CompletedTask;
            }
            waiter = _writableWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        // The loop counts before it looks for a waiter and this looks at the count after publishing the waiter: with
        // a full fence on both sides, at least one of them sees the other.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _writableSignals) != seenSignals)
        {
            lock (_writableLock)
            {
                if (_writableWaiter == waiter)
                {
                    _writableWaiter = null; // a completed waiter must not answer the next wait
                }
            }
            waiter.TrySetResult();
        }
        return waiter.Task;
    }

    /// <summary>The socket reported writable (edge-triggered: it comes with most events). Loop thread.</summary>
    private void SignalWritable()
    {
        Interlocked.Increment(ref _writableSignals);
        if (Volatile.Read(ref _writableWaiter) is null)
        {
            return;
        }
        TaskCompletionSource? waiter;
        lock (_writableLock)
        {
            waiter = _writableWaiter;
            _writableWaiter = null;
        }
        waiter?.TrySetResult();
    }

    /// <summary>Leaves the epoll set while the descriptor is still open, then ends receiving on the loop.</summary>
    protected override void BeforeClose() => _loop.Remove(this, _handle, () => EndReceive(null));

    /// <summary>A failed recv/send: resets as <see cref="ConnectionResetException"/>, as Kestrel reports them.</summary>
    private static IOException TransportError(int errno, string call) => errno switch
    {
        32 or 103 or 104 or 108 or 110 => new ConnectionResetException($"{call} failed: errno {errno}"), // EPIPE, ECONNABORTED, ECONNRESET, ESHUTDOWN, ETIMEDOUT
        _ => new IOException($"{call} failed: errno {errno}"),
    };
}
