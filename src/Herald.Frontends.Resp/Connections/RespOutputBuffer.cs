using System.Buffers;

namespace Herald.Frontends.Resp.Connections;

/// <summary>
/// The bytes one connection has to send and has not sent: replies written by its own read loop and pub/sub messages
/// written by publishers on other connections, in the order they were written. A queue of pooled 16 KiB segments
/// (larger when one write asks for more): writers append at the tail through <see cref="IBufferWriter{T}"/>, and the
/// connection's write loop takes every filled segment at once (<see cref="DetachTo"/>), copies them into the
/// transport, and gives them back with <see cref="Recycle"/>.
/// <para>
/// <see cref="BufferedBytes"/> counts what is queued plus what the write loop holds and has not yet seen flushed to
/// the socket: the figure the pub/sub output limits and the reply back-pressure apply to (Redis's omem). Not
/// thread-safe: the owning <see cref="RespConnection"/> serializes every call with its output lock. Segments come
/// from <see cref="ArrayPool{T}.Shared"/> and return there from <see cref="Recycle"/> or <see cref="Clear"/>.
/// </para>
/// <para>
/// Holds: a reply that may only reach the client once a write is durable (XADD under fsync=always) is written at
/// once, behind a hold (<see cref="HoldFromHere"/>) that keeps the segment receiving the next bytes, and every later
/// one, from being detached until the write's task completes. So a pipeline of XADDs runs without waiting and its
/// replies leave together after the fsync that covers them all, still in order. Segments are numbered in write order
/// (<see cref="_tailNumber"/> is the tail's number, or the next tail's); a hold names the first segment it stops.
/// </para>
/// </summary>
internal sealed class RespOutputBuffer : IBufferWriter<byte>
{
    public const int SegmentBytes = 16 * 1024;

    private readonly List<OutputSegment> _filled = [];
    private byte[]? _tail;
    private int _tailLength;
    private long _queuedBytes;
    private long _inFlightBytes;
    private long _tailNumber;
    private readonly Queue<(long Segment, Task Durable)> _holds = new();

    /// <summary>Bytes written and not yet confirmed sent.</summary>
    public long BufferedBytes => _queuedBytes + _inFlightBytes;

    /// <summary>Bytes written and not yet taken by the write loop.</summary>
    public long QueuedBytes => _queuedBytes;

    /// <summary>Segments holding queued bytes (Redis's oll, near enough).</summary>
    public int SegmentCount => _filled.Count + (_tailLength > 0 ? 1 : 0);

    public void Advance(int count)
    {
        _tailLength += count;
        _queuedBytes += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => EnsureTail(sizeHint).AsMemory(_tailLength);

    public Span<byte> GetSpan(int sizeHint = 0) => EnsureTail(sizeHint).AsSpan(_tailLength);

    /// <summary>
    /// Keeps everything written from now on unsent until <paramref name="durable"/> completes (see the summary).
    /// </summary>
    public void HoldFromHere(Task durable)
    {
        if (!durable.IsCompletedSuccessfully)
        {
            _holds.Enqueue((_tailNumber, durable));
        }
    }

    /// <summary>
    /// Moves the queued segments that no hold stops to <paramref name="segments"/>; they count as in flight until
    /// <see cref="Sent"/>. Returns the task of the first hold still stopping some (null when none), whose completion
    /// should wake the caller. A hold whose write failed is returned as well, completed and faulted: the replies
    /// behind it must never be sent.
    /// </summary>
    public Task? DetachTo(List<OutputSegment> segments)
    {
        while (_holds.TryPeek(out var hold) && hold.Durable.IsCompletedSuccessfully)
        {
            _holds.Dequeue();
        }
        var stop = long.MaxValue;
        Task? blocking = null;
        if (_holds.TryPeek(out var first))
        {
            if (first.Durable.IsCompleted)
            {
                return first.Durable;
            }
            stop = first.Segment;
            blocking = first.Durable;
        }
        var firstNumber = _tailNumber - _filled.Count;
        var movable = (int)Math.Clamp(stop - firstNumber, 0, _filled.Count);
        long moved = 0;
        for (var i = 0; i < movable; i++)
        {
            segments.Add(_filled[i]);
            moved += _filled[i].Length;
        }
        _filled.RemoveRange(0, movable);
        if (_filled.Count == 0 && _tailLength > 0 && _tailNumber < stop)
        {
            segments.Add(new OutputSegment(_tail!, _tailLength));
            moved += _tailLength;
            _tail = null;
            _tailLength = 0;
            _tailNumber++;
        }
        _inFlightBytes += moved;
        _queuedBytes -= moved;
        return blocking;
    }

    /// <summary>The write loop has flushed <paramref name="bytes"/> of what it detached.</summary>
    public void Sent(long bytes) => _inFlightBytes -= bytes;

    /// <summary>Returns detached segments to the pool once their bytes are copied out.</summary>
    public static void Recycle(List<OutputSegment> segments)
    {
        foreach (var segment in segments)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }
        segments.Clear();
    }

    /// <summary>Drops everything queued (the connection is gone) and returns the segments to the pool.</summary>
    public void Clear()
    {
        Recycle(_filled);
        if (_tail is not null)
        {
            ArrayPool<byte>.Shared.Return(_tail);
            _tail = null;
        }
        _tailLength = 0;
        _queuedBytes = 0;
        _holds.Clear();
    }

    private byte[] EnsureTail(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_tail is not null && _tail.Length - _tailLength >= needed)
        {
            return _tail;
        }
        if (_tail is not null)
        {
            if (_tailLength > 0)
            {
                _filled.Add(new OutputSegment(_tail, _tailLength));
                _tailNumber++;
            }
            else
            {
                ArrayPool<byte>.Shared.Return(_tail);
            }
        }
        _tail = ArrayPool<byte>.Shared.Rent(Math.Max(needed, SegmentBytes));
        _tailLength = 0;
        return _tail;
    }
}

/// <summary>A pooled array and how many of its bytes are output.</summary>
internal readonly record struct OutputSegment(byte[] Array, int Length)
{
    public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);
}
