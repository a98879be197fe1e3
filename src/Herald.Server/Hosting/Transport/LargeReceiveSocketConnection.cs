using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Net;
using System.Net.Sockets;
using Herald.Protocols.Kafka;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Hosting.Transport;

/// <summary>
/// One accepted socket as a Kestrel <see cref="ConnectionContext"/>, with the same contract as Kestrel's socket
/// transport: a receive loop fills <see cref="ConnectionContext.Transport"/>'s input (FIN completes it, a reset
/// fails it with <see cref="ConnectionResetException"/>, an abort with the abort's reason) and a send loop drains its
/// output; when either ends the socket is shut down and closed once. The difference is the receive size: each call
/// reads up to a whole input segment of <c>receiveBytes</c> (rented from the shared array pool), so a megabyte
/// request takes a handful of system calls and pipe flushes rather than several hundred. Only once a receive has
/// drained the socket does the next wait for data with a zero-byte receive, so idle connections hold no buffer.
/// The input pipe stops the receive loop at <see cref="MaxBufferedInputBytes"/> unread bytes, as Kestrel's
/// <c>MaxReadBufferSize</c> does, so TCP pushes back on a client the handler cannot keep up with.
/// Lifetime: <see cref="Start"/> after accept, <see cref="DisposeAsync"/> (by Kestrel, once the handler has
/// returned) waits for both loops. Thread-safe as Kestrel's connections are: <see cref="Abort"/> from any thread.
/// </summary>
internal sealed class LargeReceiveSocketConnection : SocketConnectionContext
{
    /// <summary>Kestrel's default <c>MaxReadBufferSize</c>; the Kafka front end sizes its large-frame path by it.</summary>
    private const long MaxBufferedInputBytes = 1024 * 1024;

    private const long MaxBufferedOutputBytes = 1024 * 1024;

    private readonly int _receiveBytes;
    private readonly KafkaFrameBoundaries? _frames;
    private readonly List<ArraySegment<byte>> _gathered = [];

    public LargeReceiveSocketConnection(Socket socket, int receiveBytes, KafkaFrameBoundaries? frames, bool inlineScheduling)
        : this(socket, receiveBytes, frames, CreatePipes(receiveBytes, inlineScheduling))
    {
    }

    private LargeReceiveSocketConnection(Socket socket, int receiveBytes, KafkaFrameBoundaries? frames, (Pipe Input, Pipe Output) pipes)
        : base(socket, "L", pipes.Input, pipes.Output)
    {
        _receiveBytes = receiveBytes;
        _frames = frames;
        if (frames is not null)
        {
            Features.Set<IKafkaWholeFrameFeature>(frames);
        }
    }

    /// <summary>
    /// The reader of the input is the handler and the reader of the output is the send loop: inline, each runs on the
    /// thread that flushed to it (the receive loop's, the handler's) instead of being queued to the thread pool.
    /// </summary>
    private static (Pipe, Pipe) CreatePipes(int receiveBytes, bool inlineScheduling)
    {
        var readers = inlineScheduling ? PipeScheduler.Inline : PipeScheduler.ThreadPool;
        return (new Pipe(new PipeOptions(readerScheduler: readers, pauseWriterThreshold: MaxBufferedInputBytes,
                resumeWriterThreshold: MaxBufferedInputBytes / 2, minimumSegmentSize: receiveBytes, useSynchronizationContext: false)),
            new Pipe(new PipeOptions(readerScheduler: readers, pauseWriterThreshold: MaxBufferedOutputBytes,
                resumeWriterThreshold: MaxBufferedOutputBytes / 2, useSynchronizationContext: false)));
    }

    public void Start() => Stopped = Task.WhenAll(ReceiveLoopAsync(), SendLoopAsync());

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            var drained = true;
            while (true)
            {
                if (drained)
                {
                    // The socket had no more to give: wait for data without a buffer, so an idle connection holds
                    // none (a receive segment is 128 KiB, and a node may have thousands of idle clients).
                    await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                }
                var wholeBody = false;
                var bodyBytes = 0;
                var size = _frames?.NextReceiveBytes(_receiveBytes, out wholeBody, out bodyBytes) ?? _receiveBytes;
                var buffer = Received.GetMemory(size)[..size];
                var received = wholeBody
                    ? await ReceiveAtLeastAsync(buffer, bodyBytes)
                    : await Socket.ReceiveAsync(buffer, SocketFlags.None);
                if (received == 0)
                {
                    break; // FIN
                }
                _frames?.Observe(buffer.Span[..received]);
                drained = received < buffer.Length;
                Received.Advance(received);
                var flushed = await Received.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break; // the handler stopped reading, or the send loop ended
                }
            }
        }
        catch (SocketException e) when (IsReset(e.SocketErrorCode))
        {
            error = new ConnectionResetException(e.Message, e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = e; // the socket was closed under the receive: _shutdownReason says why
        }
        finally
        {
            await Received.CompleteAsync(ShutdownReason ?? error);
            SignalClosed();
        }
    }

    /// <summary>
    /// Receives into <paramref name="buffer"/> until at least <paramref name="atLeast"/> bytes are in; returns the
    /// count, or 0 for a FIN before any byte. A FIN part-way hands over what arrived: the handler sees a truncated
    /// frame and the end of the input, as it would from a plain receive.
    /// </summary>
    private async ValueTask<int> ReceiveAtLeastAsync(Memory<byte> buffer, int atLeast)
    {
        var filled = 0;
        while (filled < atLeast)
        {
            var received = await Socket.ReceiveAsync(buffer[filled..], SocketFlags.None);
            if (received == 0)
            {
                break;
            }
            filled += received;
        }
        return filled;
    }

    private async Task SendLoopAsync()
    {
        Exception? shutdownReason = null;
        Exception? unexpected = null;
        try
        {
            while (true)
            {
                var result = await ToSend.ReadAsync();
                if (result.IsCanceled)
                {
                    break; // aborted
                }
                var buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await Socket.SendAsync(buffer.First, SocketFlags.None);
                }
                else
                {
                    // One gathering send for the whole read: a large fetch response spans many pipe segments, and a
                    // send call per segment would cost a system call each.
                    await Socket.SendAsync(Gather(buffer), SocketFlags.None);
                    _gathered.Clear();
                }
                ToSend.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (IsReset(e.SocketErrorCode))
        {
            shutdownReason = new ConnectionResetException(e.Message, e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
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

    /// <summary>The segments of <paramref name="buffer"/> as array segments (pipe memory is array-backed); send loop only.</summary>
    private List<ArraySegment<byte>> Gather(in ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (!segment.IsEmpty)
            {
                _gathered.Add(MemoryMarshal.TryGetArray(segment, out var array)
                    ? array
                    : throw new InvalidOperationException("Pipe memory is not array-backed."));
            }
        }
        return _gathered;
    }
}
