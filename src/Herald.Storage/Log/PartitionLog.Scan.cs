using Herald.Primitives;
using Herald.Storage.Segments;

namespace Herald.Storage.Log;

/// <summary>
/// The header fields of one stored batch that state rebuilt from a log needs (the broker's idempotent-producer state:
/// producer id, epoch and sequences), without its records.
/// </summary>
public readonly record struct StoredBatchHeader(Offset BaseOffset, Offset LastOffset, short Attributes, long ProducerId,
    short ProducerEpoch, int BaseSequence);

public sealed partial class PartitionLog
{
    /// <summary>
    /// Where a scan of the log's tail of about <paramref name="maxBytes"/> starts: the base offset of the oldest
    /// segment still needed when whole segments are taken newest first until they hold at least
    /// <paramref name="maxBytes"/> (so the tail may exceed it by up to one segment, and a segment rolled just now
    /// never hides its predecessor), or the log start when the whole log is smaller.
    /// </summary>
    public Offset TailStartOffset(long maxBytes)
    {
        var segments = Volatile.Read(ref _segments);
        long bytes = 0;
        var start = Volatile.Read(ref _logStartOffset);
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            if (bytes >= maxBytes)
            {
                return new Offset(Math.Max(start, segments[i + 1].BaseOffset));
            }
            bytes += segments[i].Size;
        }
        return new Offset(start);
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for every batch from the one holding <paramref name="from"/> up to the high
    /// watermark, in offset order, reading headers only (a batch's records are skipped, not read). Segments that
    /// retention drops meanwhile are skipped: their batches are gone for every reader too.
    /// </summary>
    public void ScanBatchHeaders(Offset from, Action<StoredBatchHeader> visit)
    {
        ThrowIfUnavailable();
        var visible = Volatile.Read(ref _visible);
        if (visible.Segment is null)
        {
            return;
        }
        var segments = Volatile.Read(ref _segments);
        var start = Math.Max(from.Value, Volatile.Read(ref _logStartOffset));
        for (var i = FindSegment(segments, start); i < segments.Length; i++)
        {
            var segment = segments[i];
            var end = VisibleBytes(segment, visible);
            if (end <= 0)
            {
                if (segment.BaseOffset < visible.Segment.BaseOffset)
                {
                    continue; // a sealed segment compaction emptied
                }
                return;
            }
            if (!segment.TryAcquire())
            {
                continue;
            }
            try
            {
                var position = segment.Index.FindPosition((int)Math.Clamp(start - segment.BaseOffset, 0, int.MaxValue));
                BatchScanner.Scan(segment.File, position, end, verifyCrc: false, -1, false, batch =>
                {
                    if (batch.LastOffset >= start)
                    {
                        visit(new StoredBatchHeader(new Offset(batch.BaseOffset), new Offset(batch.LastOffset), batch.Attributes,
                            batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence));
                    }
                    return true;
                });
            }
            finally
            {
                segment.Release();
            }
        }
    }
}
