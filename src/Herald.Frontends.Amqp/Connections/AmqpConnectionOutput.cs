using System.Buffers;
using System.IO.Pipelines;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// The connection's outgoing side: every frame goes through here, one writer at a time (a per-connection lock), so
/// frames of different channels never interleave inside a content sequence. Each send writes its frames into the
/// transport's PipeWriter and flushes; the flush waits while the transport holds more than its pause threshold
/// (Kestrel's bounded output pipe), so a client that stops reading pushes back on senders instead of growing
/// memory. Thread-safe. After <see cref="Close"/> sends are dropped silently: the peer is gone.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The lock never allocates a wait handle (AvailableWaitHandle is not used), so it holds nothing to dispose; disposing it could fail a late sender.")]
internal sealed class AmqpConnectionOutput(PipeWriter writer, TimeProvider clock)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _lastSendTimestamp = clock.GetTimestamp();
    private volatile bool _closed;

    /// <summary>Largest frame to send; until tune-ok the server's own limit.</summary>
    public uint FrameMax { get; set; }

    public long LastSendTimestamp => Interlocked.Read(ref _lastSendTimestamp);

    public ValueTask SendProtocolHeaderAsync() =>
        SendAsync(0, static (output, _, _) => AmqpFrameWriter.WriteProtocolHeader(output));

    public ValueTask SendHeartbeatAsync() =>
        SendAsync(0, static (output, _, _) => AmqpFrameWriter.WriteHeartbeat(output));

    public ValueTask SendMethodAsync<TMethod>(ushort channel, TMethod method) where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method), static (output, state, _) => AmqpFrameWriter.WriteMethod(output, state.channel, state.method));

    /// <summary>A content-bearing method, its content header and its body frames, with nothing in between.</summary>
    public ValueTask SendContentAsync<TMethod>(ushort channel, TMethod method, ReadOnlyMemory<byte> propertyBytes, ReadOnlySequence<byte> body)
        where TMethod : struct, IAmqpMethod =>
        SendAsync((channel, method, propertyBytes, body), static (output, state, frameMax) =>
        {
            AmqpFrameWriter.WriteMethod(output, state.channel, state.method);
            AmqpFrameWriter.WriteContentHeader(output, state.channel, TMethod.ProtocolClassId, (ulong)state.body.Length, state.propertyBytes.Span);
            AmqpFrameWriter.WriteBody(output, state.channel, state.body, frameMax);
        });

    /// <summary>
    /// Runs <paramref name="write"/> (given the pipe, the state and the frame-max) under the lock and flushes. The
    /// writers are static lambdas, so a send allocates no delegate.
    /// </summary>
    private async ValueTask SendAsync<TState>(TState state, Action<PipeWriter, TState, uint> write)
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                write(writer, state, FrameMax);
                await FlushAsync();
            }
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
        var result = await writer.FlushAsync();
        if (result.IsCompleted || result.IsCanceled)
        {
            _closed = true;
        }
        Interlocked.Exchange(ref _lastSendTimestamp, clock.GetTimestamp());
    }
}
