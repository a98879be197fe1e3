using Herald.Primitives;
using Herald.Primitives.Records;

namespace Herald.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>Sees one whole batch during <see cref="ReplayBatches"/>: its bytes and its parsed header.</summary>
    public delegate void BatchVisitor(ReadOnlySpan<byte> batch, in RecordBatchHeader header);

    /// <summary>Sees one record during <see cref="ReplayRecords"/>, with the header of the batch holding it.</summary>
    public delegate void RecordVisitor(in RecordBatchHeader header, Record record);

    /// <summary>
    /// Reads every batch from the one holding <paramref name="from"/> up to the high watermark, in order, through one
    /// reused buffer that grows to the largest batch: how logs that hold internal state (the metadata store,
    /// committed offsets, queue messages and acknowledgements, stream state) rebuild it at start. The first batch
    /// may begin before <paramref name="from"/>. Not for hot paths: the caller's state is rebuilt once.
    /// </summary>
    public void ReplayBatches(Offset from, BatchVisitor visit, int bufferBytes = 64 * 1024)
    {
        var next = from;
        var buffer = new byte[bufferBytes];
        while (next < HighWatermark)
        {
            using var slice = Read(next, buffer.Length);
            if (slice.IsEmpty)
            {
                break;
            }
            if (buffer.Length < slice.Length)
            {
                buffer = new byte[slice.Length];
            }
            var whole = slice.CopyTo(buffer);
            var p = 0;
            while (p < whole && RecordBatchHeader.TryRead(buffer.AsSpan(p, whole - p), out var header))
            {
                var size = (int)header.TotalSize;
                visit(buffer.AsSpan(p, size), header);
                next = new Offset(header.LastOffset + 1);
                p += size;
            }
            if (p == 0)
            {
                break; // no whole batch in the slice: nothing more can be read
            }
        }
    }

    /// <summary>
    /// <see cref="ReplayBatches"/> record by record. The batches must be uncompressed, as the writers of internal
    /// logs make them.
    /// </summary>
    public void ReplayRecords(Offset from, RecordVisitor visit, int bufferBytes = 64 * 1024) =>
        ReplayBatches(from, (ReadOnlySpan<byte> batch, in RecordBatchHeader header) =>
        {
            var reader = new RecordReader(batch[RecordBatch.HeaderSize..]);
            while (reader.TryReadNext(out var record))
            {
                visit(header, record);
            }
        }, bufferBytes);
}
