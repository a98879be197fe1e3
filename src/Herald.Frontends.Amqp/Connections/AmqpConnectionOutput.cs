using System.Buffers;
using System.IO.Pipelines;
using Herald.Primitives.Threading;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// The connection's outgoing side: every frame goes through here, one writer at a time (a per-connection lock), so
/// frames of different channels never interleave inside a content sequence. Each send writes its frames into the
/// transport's PipeWriter. A reply the caller awaits is flushed at once; a push nobody awaits (deliveries, confirms,
/// returns: <c>flush: false</c>) only schedules one flush (<see cref="SoonWork"/>: at the end of the event loop's turn,
/// or on the thread pool), so a dispatcher delivering a batch or
/// a group commit confirming many publishes costs one socket write for all of them instead of one each. Flushes wait
/// while the transport holds more than its pause threshold (Kestrel's bounded output pipe), and a deferred send
/// flushes inline once <see cref="DeferredFlushBytes"/> are waiting, so a client that stops reading pushes back.
///
/// Senders that do not wait (deliveries from broker threads) can still pile up here, so the output counts the bytes
/// of sends not yet flushed to the transport (its backlog): above <see cref="BacklogHighBytes"/> it is backed up,
/// and <see cref="WhenDrained"/> completes once the backlog is down to <see cref="BacklogLowBytes"/>; deliveries
/// pause in between (RabbitMQ's credit flow between queue and connection writer plays this part). Thread-safe.
/// After <see cref="Close"/> sends are dropped silently: the peer is gone.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The lock never allocates a wait handle (AvailableWaitHandle is not used), so it holds nothing to dispose; disposing it could fail a late sender.")]
internal sealed class AmqpConnectionOutput(PipeWriter writer, TimeProvider clock)
{
    /// <summary>Backlog above which the output is backed up: about a thousand 1 KiB deliveries.</summary>
    public const long BacklogHighBytes = 1 << 20;

    /// <summary>Backlog at or below which a backed-up output counts as drained again.</summary>
    public const long BacklogLowBytes = 256 << 10;

    /// <summary>Unflushed bytes (the sends' estimates) at which a deferred send flushes inline: a few deliveries of 16 KiB, one TCP window's worth.</summary>
    internal const int DeferredFlushBytes = 64 * 1024;

    /// <summary>What a frame costs besides its payload: headers, frame ends, method arguments (an estimate).</summary>
    private const int FrameOverheadBytes = 64;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Lock _drainGate = new();
    // Under _lock: the backlog estimate of the sends written since the last flush, and whether a flush is scheduled.
    private long _unflushedBacklog;
    private bool _flushScheduled;
    private long _lastSendTimestamp = clock.GetTimestamp();
    // Every send adds its estimate when it starts and the flush that carries it (or its drop) takes it off again.
    private long _backlogBytes;
    // Pending while someone waits for the backlog to drain; null otherwise.
    private TaskCompletionSource? _drained;
    private volatile bool _closed;

    /// <summary>Largest frame to send; until tune-ok the server's own limit.</summary>
    public uint FrameMax { get; set; }

    public long LastSendTimestamp => Interlocked.Read(ref _lastSendTimestamp);

    /// <summary>True while more than <see cref="BacklogHighBytes"/> wait to be flushed to a client that reads too slowly.</summary>
    public bool IsBackedUp => Interlocked.Read(ref _backlogBytes) > BacklogHighBytes;

    public ValueTask SendProtocolHeaderAsync() =>
        SendAsync(0, FrameOverheadBytes, static (output, _, _) => AmqpFrameWriter.WriteProtocolHeader(output), flush: true);

    public ValueTask SendHeartbeatAsync() =>
        SendAsync(0, FrameOverheadBytes, static (output, _, _) => AmqpFrameWriter.WriteHeartbeat(output), flush: true);

    public ValueTask SendMethodAsync<TMethod>(ushort channel, TMethod method, bool flush = true) where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method), FrameOverheadBytes, static (output, state, _) => AmqpFrameWriter.WriteMethod(output, state.channel, state.method), flush);

    /// <summary>
    /// Sends a method without waiting, for callers that must not block (alarm notifications). Frames still go out
    /// in the order sends start; a failure means the connection is gone, which its read loop handles.
    /// </summary>
    public void SendInBackground<TMethod>(ushort channel, TMethod method) where TMethod : struct, IAmqpMethod
    {
        var send = SendMethodAsync(channel, method);
        if (!send.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(send);
        }

        static async Task ObserveAsync(ValueTask send)
        {
            try
            {
                await send;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer is gone; see the summary.
            }
        }
    }

    /// <summary>Completes once the backlog is at most <see cref="BacklogLowBytes"/> (at once when it is), or the output closed.</summary>
    public Task WhenDrained()
    {
        lock (_drainGate)
        {
            if (_closed || Interlocked.Read(ref _backlogBytes) <= BacklogLowBytes)
            {
                return Task.CompletedTask;
            }
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>A content-bearing method, its content header and its body frames, with nothing in between.</summary>
    public ValueTask SendContentAsync<TMethod>(ushort channel, TMethod method, ReadOnlyMemory<byte> propertyBytes, ReadOnlySequence<byte> body,
        bool flush = true)
        where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method, propertyBytes, body), body.Length + propertyBytes.Length + 2 * FrameOverheadBytes, static (output, state, frameMax) =>
        {
            AmqpFrameWriter.WriteMethod(output, state.channel, state.method);
            AmqpFrameWriter.WriteContentHeader(output, state.channel, TMethod.ProtocolClassId, (ulong)state.body.Length, state.propertyBytes.Span);
            AmqpFrameWriter.WriteBody(output, state.channel, state.body, frameMax);
        }, flush);

    /// <summary>
    /// Runs <paramref name="write"/> (given the pipe, the state and the frame-max) under the lock, then flushes now
    /// (<paramref name="flush"/>) or schedules a flush. <paramref name="bytes"/> is the send's backlog estimate. The
    /// writers are static lambdas, so a send allocates no delegate.
    /// </summary>
    private ValueTask SendAsync<TState>(TState state, long bytes, Action<PipeWriter, TState, uint> write, bool flush)
    {
        Interlocked.Add(ref _backlogBytes, bytes);
        // Fast path: an uncontended lock and a deferred flush complete without an async state machine.
        if (!flush && _lock.Wait(0))
        {
            var release = true;
            try
            {
                if (_closed)
                {
                    TakeOffBacklog(bytes);
                    return ValueTask.CompletedTask;
                }
                if (WriteDeferred(state, bytes, write))
                {
                    release = false;
                    return FlushAndReleaseAsync();
                }
                return ValueTask.CompletedTask;
            }
            finally
            {
                if (release)
                {
                    _lock.Release();
                }
            }
        }
        return SendSlowAsync(state, bytes, write, flush);
    }

    private async ValueTask SendSlowAsync<TState>(TState state, long bytes, Action<PipeWriter, TState, uint> write, bool flush)
    {
        await _lock.WaitAsync();
        try
        {
            if (_closed)
            {
                TakeOffBacklog(bytes);
                return;
            }
            if (flush)
            {
                write(writer, state, FrameMax);
                _unflushedBacklog += bytes;
                await FlushAsync();
            }
            else if (WriteDeferred(state, bytes, write))
            {
                await FlushAsync();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Writes under the lock and schedules a flush; true when enough is waiting that the caller must flush now.</summary>
    private bool WriteDeferred<TState>(TState state, long bytes, Action<PipeWriter, TState, uint> write)
    {
        write(writer, state, FrameMax);
        _unflushedBacklog += bytes;
        if (_unflushedBacklog >= DeferredFlushBytes)
        {
            return true;
        }
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            SoonWork.Schedule(static output => _ = ((AmqpConnectionOutput)output!).ScheduledFlushAsync(), this);
        }
        return false;
    }

    private async ValueTask FlushAndReleaseAsync()
    {
        try
        {
            await FlushAsync();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The flush deferred sends scheduled: by the time it runs, everything written meanwhile goes in one write.</summary>
    private async Task ScheduledFlushAsync()
    {
        await _lock.WaitAsync();
        try
        {
            _flushScheduled = false;
            if (!_closed && _unflushedBacklog > 0)
            {
                await FlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _closed = true; // the transport is gone; the connection's own shutdown reports it
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Stops sending; frames already flushed stay sent. Whoever waits for a drain is released.</summary>
    public void Close()
    {
        _closed = true;
        SignalDrained();
    }

    /// <summary>Under the lock: flushes what was written since the last flush and takes it off the backlog once sent.</summary>
    private async ValueTask FlushAsync()
    {
        var carried = _unflushedBacklog;
        _unflushedBacklog = 0;
        try
        {
            var result = await writer.FlushAsync();
            if (result.IsCompleted || result.IsCanceled)
            {
                _closed = true;
            }
            Interlocked.Exchange(ref _lastSendTimestamp, clock.GetTimestamp());
        }
        finally
        {
            TakeOffBacklog(carried);
        }
    }

    private void TakeOffBacklog(long bytes)
    {
        if (Interlocked.Add(ref _backlogBytes, -bytes) <= BacklogLowBytes && Volatile.Read(ref _drained) is not null)
        {
            SignalDrained();
        }
    }

    private void SignalDrained()
    {
        TaskCompletionSource? drained;
        lock (_drainGate)
        {
            if (!_closed && Interlocked.Read(ref _backlogBytes) > BacklogLowBytes)
            {
                return;
            }
            drained = _drained;
            _drained = null;
        }
        drained?.TrySetResult();
    }
}
