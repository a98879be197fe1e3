using System.Buffers;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Segments;

namespace Herald.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Reads from <paramref name="start"/>: a slice of whole batches beginning with the batch that contains it, up to
    /// <paramref name="maxBytes"/>, but always the whole first batch even when it is larger (Kafka KIP-74, so a big
    /// record never blocks a consumer). Only data below the <see cref="HighWatermark"/> is returned; reading at the
    /// high watermark returns an empty slice.
    /// </summary>
    /// <remarks>
    /// <paramref name="throughLogEnd"/> reads up to the log end instead, data not yet fsynced included. Only for a
    /// log's single writer between its own appends (a queue reading its messages back under its lock): others must
    /// not see data a crash could still take away.
    /// </remarks>
    /// <exception cref="OffsetOutOfRangeException">Below the log start or beyond the log end.</exception>
    public LogSlice Read(Offset start, int maxBytes, bool throughLogEnd = false)
    {
        while (true)
        {
            ThrowIfUnavailable();
            var visible = Volatile.Read(ref _visible);
            if (throughLogEnd)
            {
                var active = Volatile.Read(ref _segments)[^1];
                visible = new VisibleEnd(Volatile.Read(ref _nextOffset), active, active.Size);
            }
            var logStart = Volatile.Read(ref _logStartOffset);
            if (start.Value < logStart || start.Value > Volatile.Read(ref _nextOffset))
            {
                throw new OffsetOutOfRangeException(
                    $"Offset {start} is outside {LogStartOffset}..{NextOffset} of {Directory}.");
            }
            if (start.Value >= visible.Offset || visible.Segment is null)
            {
                return LogSlice.Empty;
            }
            var segments = Volatile.Read(ref _segments);
            var i = FindSegment(segments, start.Value);
            for (; i < segments.Length; i++)
            {
                var segment = segments[i];
                var end = VisibleBytes(segment, visible);
                if (end <= 0)
                {
                    if (segment.BaseOffset < visible.Segment.BaseOffset)
                    {
                        continue; // a sealed segment compaction emptied
                    }
                    return LogSlice.Empty;
                }
                if (!segment.TryAcquire())
                {
                    break; // dropped by retention or compaction meanwhile: look again
                }
                var found = FindBatch(segment, start.Value, end);
                if (found is { } batch)
                {
                    var length = (int)Math.Min(end - batch.Position, Math.Max(maxBytes, batch.Size));
                    return new LogSlice(this, segment, batch.Position, length, new Offset(batch.BaseOffset));
                }
                segment.Release(); // the offset fell in a gap left by compaction: continue in the next segment
            }
            if (i >= segments.Length)
            {
                return LogSlice.Empty;
            }
        }
    }

    /// <summary>
    /// The earliest offset whose record timestamp is at least <paramref name="timestamp"/> (Kafka ListOffsets by
    /// time), with that record's timestamp; null when every record is older.
    /// </summary>
    public (Offset Offset, long Timestamp)? FindOffsetByTimestamp(long timestamp)
    {
        ThrowIfUnavailable();
        var visible = Volatile.Read(ref _visible);
        var logStart = Volatile.Read(ref _logStartOffset);
        foreach (var segment in Volatile.Read(ref _segments))
        {
            var end = VisibleBytes(segment, visible);
            if (end <= 0)
            {
                if (visible.Segment is not null && segment.BaseOffset < visible.Segment.BaseOffset)
                {
                    continue; // emptied by compaction
                }
                break;
            }
            if (segment.MaxTimestamp < timestamp || segment.NextOffset <= logStart || !segment.TryAcquire())
            {
                continue;
            }
            try
            {
                var before = segment.TimeIndex.FindRelativeOffsetBefore(timestamp);
                var from = before < 0 ? 0 : segment.Index.FindPosition(before);
                (Offset, long)? found = null;
                BatchScanner.Scan(segment.File, from, end, verifyCrc: false, -1, false, batch =>
                {
                    if (batch.MaxTimestamp >= timestamp && batch.LastOffset >= logStart)
                    {
                        found = FirstRecordAtOrAfter(segment, batch, timestamp, logStart);
                    }
                    return found is null;
                });
                if (found is not null)
                {
                    return found;
                }
            }
            finally
            {
                segment.Release();
            }
        }
        return null;
    }

    /// <summary>
    /// Looks inside the batch for the first record at or after the timestamp and the log start; null when none is
    /// (a compacted batch can keep a max timestamp of a removed record, and the log start can cut a batch), so the
    /// caller goes on to the next batch.
    /// </summary>
    private (Offset, long)? FirstRecordAtOrAfter(LogSegment segment, BatchInfo batch, long timestamp, long logStart)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(batch.Size);
        try
        {
            var span = bytes.AsSpan(0, batch.Size);
            segment.Read(batch.Position, span);
            RecordBatchHeader.TryRead(span, out var header);
            if (header.TimestampType == TimestampType.LogAppendTime)
            {
                // Every record carries the batch's append time.
                return (new Offset(Math.Max(batch.BaseOffset, logStart)), header.MaxTimestamp);
            }
            using var records = Codecs.OpenRecords(span);
            if (!records.IsAvailable)
            {
                // No codec to look inside: answer with the batch, as Kafka did before magic 2.
                return (new Offset(Math.Max(batch.BaseOffset, logStart)), batch.MaxTimestamp);
            }
            var reader = new RecordReader(records.Span);
            while (reader.TryReadNext(out var record))
            {
                var offset = batch.BaseOffset + record.OffsetDelta;
                var recordTimestamp = header.BaseTimestamp + record.TimestampDelta;
                if (offset >= logStart && recordTimestamp >= timestamp)
                {
                    return (new Offset(offset), recordTimestamp);
                }
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Index of the segment that holds <paramref name="offset"/> or, in a gap, the next one.</summary>
    private static int FindSegment(LogSegment[] segments, long offset)
    {
        int low = 0, high = segments.Length - 1, found = 0;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    /// <summary>How many bytes of <paramref name="segment"/> lie below the visible end.</summary>
    private static long VisibleBytes(LogSegment segment, VisibleEnd visible)
    {
        if (visible.Segment is null)
        {
            return 0;
        }
        if (segment.BaseOffset == visible.Segment.BaseOffset)
        {
            // A different object with the same base offset is a compacted copy of a sealed segment, and sealed
            // segments are wholly durable.
            return ReferenceEquals(segment, visible.Segment) ? visible.Position : segment.Size;
        }
        return segment.BaseOffset < visible.Segment.BaseOffset ? segment.Size : 0;
    }

    /// <summary>The first batch in the segment whose last offset is at or after <paramref name="offset"/>.</summary>
    private static BatchInfo? FindBatch(LogSegment segment, long offset, long end)
    {
        var relative = (int)Math.Clamp(offset - segment.BaseOffset, 0, int.MaxValue);
        var from = segment.Index.FindPosition(relative);
        var finder = new BatchContainingOffset(offset);
        BatchScanner.Scan(segment.File, from, end, verifyCrc: false, -1, false, ref finder);
        return finder.Found;
    }

    /// <summary>Stops at the first batch that reaches <c>offset</c> (every fetch runs this: no allocation).</summary>
    private struct BatchContainingOffset(long offset) : IBatchVisitor
    {
        public BatchInfo? Found { get; private set; }

        public bool Visit(BatchInfo batch)
        {
            if (batch.LastOffset < offset)
            {
                return true;
            }
            Found = batch;
            return false;
        }
    }
}
