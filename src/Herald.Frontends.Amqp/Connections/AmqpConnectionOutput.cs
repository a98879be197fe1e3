using System.Buffers;
using System.IO.Pipelines;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// The connection's outgoing side: every frame goes through here, one writer at a time (a per-connection lock), so
/// frames of different channels never interleave inside a content sequence. Each send writes its frames into the
/// transport's PipeWriter. A reply the caller awaits is flushed at once; a push nobody awaits (deliveries, confirms,
/// returns: <c>flush: false</c>) only schedules one flush on the thread pool, so a dispatcher delivering a batch or
/// a group commit confirming many publishes costs one socket write for all of them instead of one each. Flushes wait
/// while the transport holds more than its pause threshold (Kestrel's bounded output pipe), and a deferred send
/// flushes inline once <see cref="DeferredFlushBytes"/> are waiting, so a client that stops reading pushes back
/// instead of growing memory. Thread-safe. After <see cref="Close"/> sends are dropped silently: the peer is gone.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The lock never allocates a wait handle (AvailableWaitHandle is not used), so it holds nothing to dispose; disposing it could fail a late sender.")]
internal sealed class AmqpConnectionOutput(PipeWriter writer, TimeProvider clock)
{
    /// <summary>Unflushed bytes at which a deferred send flushes inline: a few deliveries of 16 KiB, one TCP window's worth.</summary>
    internal const int DeferredFlushBytes = 64 * 1024;

    private readonly SemaphoreSlim _lock = new(1, 1);
    // Under _lock: bytes written since the last flush, and whether a flush is queued on the thread pool.
    private long _unflushedBytes;
    private bool _flushScheduled;
    private long _lastSendTimestamp = clock.GetTimestamp();
    private volatile bool _closed;

    /// <summary>Largest frame to send; until tune-ok the server's own limit.</summary>
    public uint FrameMax { get; set; }

    public long LastSendTimestamp => Interlocked.Read(ref _lastSendTimestamp);

    public ValueTask SendProtocolHeaderAsync() =>
        SendAsync(0, static (output, _, _) => AmqpFrameWriter.WriteProtocolHeader(output), flush: true);

    public ValueTask SendHeartbeatAsync() =>
        SendAsync(0, static (output, _, _) => AmqpFrameWriter.WriteHeartbeat(output), flush: true);

    public ValueTask SendMethodAsync<TMethod>(ushort channel, TMethod method, bool flush = true) where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method), static (output, state, _) => AmqpFrameWriter.WriteMethod(output, state.channel, state.method), flush);

    /// <summary>A content-bearing method, its content header and its body frames, with nothing in between.</summary>
    public ValueTask SendContentAsync<TMethod>(ushort channel, TMethod method, ReadOnlyMemory<byte> propertyBytes, ReadOnlySequence<byte> body,
        bool flush = true)
        where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method, propertyBytes, body), static (output, state, frameMax) =>
        {
            AmqpFrameWriter.WriteMethod(output, state.channel, state.method);
            AmqpFrameWriter.WriteContentHeader(output, state.channel, TMethod.ProtocolClassId, (ulong)state.body.Length, state.propertyBytes.Span);
            AmqpFrameWriter.WriteBody(output, state.channel, state.body, frameMax);
        }, flush);

    /// <summary>
    /// Runs <paramref name="write"/> (given the pipe, the state and the frame-max) under the lock, then flushes now
    /// (<paramref name="flush"/>) or schedules a flush. The writers are static lambdas, so a send allocates no delegate.
    /// </summary>
    private ValueTask SendAsync<TState>(TState state, Action<PipeWriter, TState, uint> write, bool flush)
    {
        // Fast path: an uncontended lock and a deferred flush complete without an async state machine.
        if (!flush && _lock.Wait(0))
        {
            var release = true;
            try
            {
                if (_closed)
                {
                    return ValueTask.CompletedTask;
                }
                if (WriteDeferred(state, write))
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
        return SendSlowAsync(state, write, flush);
    }

    private async ValueTask SendSlowAsync<TState>(TState state, Action<PipeWriter, TState, uint> write, bool flush)
    {
        await _lock.WaitAsync();
        try
        {
            if (_closed)
            {
                return;
            }
            if (flush)
            {
                write(writer, state, FrameMax);
                await FlushAsync();
            }
            else if (WriteDeferred(state, write))
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
    private bool WriteDeferred<TState>(TState state, Action<PipeWriter, TState, uint> write)
    {
        if (!writer.CanGetUnflushedBytes)
        {
            write(writer, state, FrameMax);
            return true; // a transport that cannot count what waits is flushed every time
        }
        var before = writer.UnflushedBytes;
        write(writer, state, FrameMax);
        _unflushedBytes += writer.UnflushedBytes - before;
        if (_unflushedBytes >= DeferredFlushBytes)
        {
            return true;
        }
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(static output => _ = output.ScheduledFlushAsync(), this, preferLocal: false);
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
            if (!_closed && _unflushedBytes > 0)
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

    /// <summary>Stops sending; frames already flushed stay sent.</summary>
    public void Close() => _closed = true;

    private async ValueTask FlushAsync()
    {
        _unflushedBytes = 0;
        var result = await writer.FlushAsync();
        if (result.IsCompleted || result.IsCanceled)
        {
            _closed = true;
        }
        Interlocked.Exchange(ref _lastSendTimestamp, clock.GetTimestamp());
    }
}
