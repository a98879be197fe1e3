using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Segments;

namespace Herald.Storage.Log;

/// <summary>
/// A range of stored bytes returned by <see cref="PartitionLog.Read"/>: whole batches starting with the one that
/// contains the requested offset, except that the last batch may be cut short by the byte limit (Kafka's fetch
/// semantics; <see cref="CopyTo"/> reports how many bytes form whole batches). The slice holds a lease on its
/// segment so the bytes stay readable even if retention drops the segment meanwhile: dispose it exactly once.
/// </summary>
public readonly struct LogSlice : IDisposable
{
    private readonly PartitionLog? _log;
    private readonly LogSegment? _segment;

    internal LogSlice(PartitionLog log, LogSegment segment, long position, int length, Offset firstBatchOffset)
    {
        _log = log;
        _segment = segment;
        Position = position;
        Length = length;
        FirstBatchOffset = firstBatchOffset;
    }

    public static LogSlice Empty => default;

    public bool IsEmpty => Length == 0;

    /// <summary>Byte position in the segment file (diagnostics).</summary>
    public long Position { get; }

    public int Length { get; }

    /// <summary>Base offset of the first batch, which may be below the offset asked for.</summary>
    public Offset FirstBatchOffset { get; }

    /// <summary>
    /// Copies the slice into <paramref name="destination"/> (at least <see cref="Length"/> bytes) and checks the
    /// CRC-32C of every whole batch on the way out, so bytes damaged on disk are never served: a mismatch marks
    /// the log damaged and throws <see cref="LogDamagedException"/>. Returns the number of leading bytes that form
    /// whole batches.
    /// </summary>
    public int CopyTo(Span<byte> destination)
    {
        if (_segment is null || Length == 0)
        {
            return 0;
        }
        var target = destination[..Length];
        var read = _segment.Read(Position, target);
        if (read != Length)
        {
            throw new LogDamagedException($"Segment {_segment.LogPath} is shorter than its index says.");
        }
        var p = 0;
        while (RecordBatchHeader.TryRead(target[p..], out var header) && header.TotalSize <= Length - p)
        {
            var size = (int)header.TotalSize;
            if (header.Magic != RecordBatch.CurrentMagic || size < RecordBatch.HeaderSize ||
                !RecordBatch.IsCrcValid(target.Slice(p, size)))
            {
                var reason = $"batch at byte {Position + p} of {_segment.LogPath} fails its CRC-32C check";
                _log!.MarkDamaged(reason);
                throw new LogDamagedException($"Log {_log.Directory} is damaged: {reason}");
            }
            p += size;
        }
        return p;
    }

    public void Dispose() => _segment?.Release();
}
