using System.Buffers;
using Herald.Primitives.Records;
using Herald.Storage.IO;

namespace Herald.Storage.Segments;

/// <summary>Where and what one stored batch is, as read from its header.</summary>
internal readonly record struct BatchInfo(long Position, long BaseOffset, long LastOffset, int Size, long MaxTimestamp,
    short Attributes, int RecordCount, long ProducerId, short ProducerEpoch, int BaseSequence);

/// <summary>Why a scan stopped before the end of the range it was asked to scan.</summary>
internal enum ScanStop
{
    /// <summary>The scan reached the end of the range on a batch boundary.</summary>
    None,

    /// <summary>Fewer bytes remain than the next header or batch needs (a write cut short).</summary>
    Incomplete,

    /// <summary>The header is not a v2 batch header (bad magic or impossible length or offsets).</summary>
    BadHeader,

    /// <summary>The CRC-32C does not match.</summary>
    BadCrc,

    /// <summary>The batch's offsets do not follow the previous batch's.</summary>
    OffsetOrder,
}

internal readonly record struct ScanResult(long EndPosition, ScanStop Stop, long NextOffset, int BatchCount);

/// <summary>
/// Walks the batches of a segment file through a pooled read buffer: recovery, index rebuilds, reads that look
/// for an offset, timestamp lookups and the compactor all scan with it. Stateless; the visitor sees each batch's
/// header fields and, when <c>verifyCrc</c> is on, the CRC has been checked before it is called.
/// </summary>
internal static class BatchScanner
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>Smallest legal <c>batchLength</c>: the header without the offset and length fields.</summary>
    public const int MinBatchLength = RecordBatch.HeaderSize - RecordBatch.LogOverhead;

    /// <summary>
    /// Scans from <paramref name="start"/> up to <paramref name="end"/>. <paramref name="expectedNextOffset"/> is
    /// the offset the first batch may not start below (-1: anything). With <paramref name="strictlyContiguous"/> a
    /// batch must start exactly where the previous ended (logs that are never compacted have no gaps).
    /// The visitor returns false to stop early (the result then reports <see cref="ScanStop.None"/>).
    /// </summary>
    public static ScanResult Scan(IStorageFile file, long start, long end, bool verifyCrc, long expectedNextOffset,
        bool strictlyContiguous, Func<BatchInfo, bool>? visitor)
    {
        var adapter = new DelegateVisitor(visitor);
        return Scan(file, start, end, verifyCrc, expectedNextOffset, strictlyContiguous, ref adapter);
    }

    /// <summary>
    /// The same scan with a struct visitor, for the read path: no delegate or closure is allocated per call, and the
    /// visitor's state (what it found) comes back through <paramref name="visitor"/>.
    /// </summary>
    public static ScanResult Scan<TVisitor>(IStorageFile file, long start, long end, bool verifyCrc,
        long expectedNextOffset, bool strictlyContiguous, ref TVisitor visitor) where TVisitor : struct, IBatchVisitor
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var position = start;
            var next = expectedNextOffset;
            var count = 0;
            // The buffer holds file bytes [bufferStart, bufferStart + bufferLength).
            long bufferStart = 0;
            var bufferLength = 0;
            while (position < end)
            {
                if (end - position < RecordBatch.HeaderSize)
                {
                    return new ScanResult(position, ScanStop.Incomplete, next, count);
                }
                if (position < bufferStart || position + RecordBatch.HeaderSize > bufferStart + bufferLength)
                {
                    bufferStart = position;
                    bufferLength = file.Read(position, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)));
                    if (bufferLength < RecordBatch.HeaderSize)
                    {
                        return new ScanResult(position, ScanStop.Incomplete, next, count);
                    }
                }
                var headerBytes = buffer.AsSpan((int)(position - bufferStart));
                RecordBatchHeader.TryRead(headerBytes, out var header);
                var stop = CheckHeader(header, end - position, next, strictlyContiguous);
                if (stop != ScanStop.None)
                {
                    return new ScanResult(position, stop, next, count);
                }
                var size = (int)header.TotalSize;
                var info = new BatchInfo(position, header.BaseOffset, header.LastOffset, size, header.MaxTimestamp,
                    header.Attributes, header.RecordCount, header.ProducerId, header.ProducerEpoch, header.BaseSequence);
                if (verifyCrc && !IsCrcValid(file, position, size, buffer, bufferStart, bufferLength))
                {
                    return new ScanResult(position, ScanStop.BadCrc, next, count);
                }
                if (!visitor.Visit(info))
                {
                    return new ScanResult(position, ScanStop.None, next, count);
                }
                next = info.LastOffset + 1;
                position += size;
                count++;
            }
            return new ScanResult(position, ScanStop.None, next, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks the fields that make a header plausible; the CRC is checked separately.</summary>
    public static ScanStop CheckHeader(RecordBatchHeader header, long bytesRemaining, long expectedNextOffset,
        bool strictlyContiguous)
    {
        var batchLength = header.BatchLength;
        if (header.Magic != RecordBatch.CurrentMagic || batchLength < MinBatchLength || header.LastOffsetDelta < 0 ||
            header.RecordCount < 0 || header.BaseOffset < 0)
        {
            return ScanStop.BadHeader;
        }
        if (header.TotalSize > bytesRemaining)
        {
            return ScanStop.Incomplete;
        }
        if (expectedNextOffset >= 0 &&
            (header.BaseOffset < expectedNextOffset || (strictlyContiguous && header.BaseOffset != expectedNextOffset)))
        {
            return ScanStop.OffsetOrder;
        }
        return ScanStop.None;
    }

    /// <summary>True when a whole, CRC-valid batch starts at <paramref name="position"/>.</summary>
    public static bool IsValidBatchAt(IStorageFile file, long position, long end)
    {
        Span<byte> headerBytes = stackalloc byte[RecordBatch.HeaderSize];
        if (end - position < RecordBatch.HeaderSize || file.Read(position, headerBytes) < RecordBatch.HeaderSize)
        {
            return false;
        }
        RecordBatchHeader.TryRead(headerBytes, out var header);
        if (CheckHeader(header, end - position, -1, false) != ScanStop.None)
        {
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            return IsCrcValid(file, position, (int)header.TotalSize, buffer, 0, 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsCrcValid(IStorageFile file, long position, int size, byte[] buffer, long bufferStart,
        int bufferLength)
    {
        if (position >= bufferStart && position + size <= bufferStart + bufferLength)
        {
            return RecordBatch.IsCrcValid(buffer.AsSpan((int)(position - bufferStart), size));
        }
        var whole = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            return file.Read(position, whole.AsSpan(0, size)) == size && RecordBatch.IsCrcValid(whole.AsSpan(0, size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(whole);
        }
    }
}

/// <summary>What a scan calls for each batch; return false to stop. Implemented by structs on hot paths.</summary>
internal interface IBatchVisitor
{
    bool Visit(BatchInfo batch);
}

/// <summary>Adapts an optional delegate (used where a scan is not on a hot path) to <see cref="IBatchVisitor"/>.</summary>
internal readonly struct DelegateVisitor(Func<BatchInfo, bool>? visit) : IBatchVisitor
{
    public bool Visit(BatchInfo batch) => visit is null || visit(batch);
}
