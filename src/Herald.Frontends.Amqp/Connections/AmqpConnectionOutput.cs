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

    public async ValueTask SendProtocolHeaderAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                AmqpFrameWriter.WriteProtocolHeader(writer);
                await FlushAsync();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask SendHeartbeatAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                AmqpFrameWriter.WriteHeartbeat(writer);
                await FlushAsync();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask SendMethodAsync<TMethod>(ushort channel, TMethod method) where TMethod : struct, IAmqpMethod
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                AmqpFrameWriter.WriteMethod(writer, channel, method);
                await FlushAsync();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask SendContentAsync<TMethod>(ushort channel, TMethod method, ReadOnlyMemory<byte> propertyBytes, ReadOnlySequence<byte> body)
        where TMethod : struct, IAmqpMethod
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                AmqpFrameWriter.WriteMethod(writer, channel, method);
                AmqpFrameWriter.WriteContentHeader(writer, channel, TMethod.ProtocolClassId, (ulong)body.Length, propertyBytes.Span);
                AmqpFrameWriter.WriteBody(writer, channel, body, FrameMax);
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
