using System.Buffers;
using Herald.Broker.Messages;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Queues;

public sealed partial class Queue
{
    /// <summary>
    /// How much of the log one page-in reads: about a hundred 1 KiB messages, so reading a long paged-out queue back
    /// costs one read per hundred deliveries, and what it brings in stays small next to the memory budget.
    /// </summary>
    private const int PageInBytes = 128 * 1024;

    /// <summary>
    /// Reads the paged-out head of <paramref name="level"/> back from the log, together with the paged-out slots of
    /// the same level that follow it in the bytes read. The queue is the log's only writer and appends under its
    /// lock, which is held here, so the read may go up to the log end: a message is deliverable before its fsync,
    /// as it is when held in memory. A head whose record cannot be read (damaged log) is logged, dropped and settled,
    /// so one bad record never stalls the queue.
    /// </summary>
    private void PageInLocked(int level)
    {
        var ready = _levels[level];
        while (ready.HeadIsPaged)
        {
            var headId = ready.FreshAt(0).Id;
            string? problem = null;
            try
            {
                ReadBackLocked(ready, level);
            }
            catch (Exception e) when (e is StorageException or IOException or FormatException or InvalidCastException or KeyNotFoundException)
            {
                problem = e.Message;
            }
            if (!ready.HeadIsPaged)
            {
                return;
            }
            _logger.LogError("Queue {Queue}: stored message {Id} cannot be read back and is dropped: {Error}", this, headId,
                problem ?? "its record is missing from the log");
            var size = ready.FreshAt(0).BodySize;
            ready.DropHead();
            _readyCount--;
            _readyBytes -= size;
            SettleIdsLocked([headId]);
        }
    }

    private void ReadBackLocked(ReadyLevel ready, int level)
    {
        using var slice = _log!.Read(new Offset(ready.FreshAt(0).Id), PageInBytes, throughLogEnd: true);
        if (slice.IsEmpty)
        {
            return;
        }
        // Rented for the read only: every message decoded from it copies what it keeps.
        var buffer = ArrayPool<byte>.Shared.Rent(slice.Length);
        try
        {
            var bytes = buffer.AsSpan(0, slice.CopyTo(buffer));
            var next = 0;
            while (RecordBatchHeader.TryRead(bytes, out var header) && header.TotalSize <= bytes.Length)
            {
                var reader = new RecordReader(bytes[RecordBatch.HeaderSize..(int)header.TotalSize]);
                while (reader.TryReadNext(out var record))
                {
                    var id = header.BaseOffset + record.OffsetDelta;
                    while (next < ready.FreshCount && ready.FreshAt(next).Id < id)
                    {
                        next++;
                    }
                    if (next == ready.FreshCount)
                    {
                        return;
                    }
                    ref var slot = ref ready.FreshAt(next);
                    if (slot.Id != id || slot.Entry is not null)
                    {
                        continue; // another level's message, or one of this level still in memory
                    }
                    var message = MessageRecordCodec.Decode(record, header.BaseTimestamp + record.TimestampDelta);
                    slot.Entry = new QueueEntry(this, id, message, level, ready.FreshExpiryAt(next));
                    _host.ReadyMemory.Add(slot.BodySize);
                }
                bytes = bytes[(int)header.TotalSize..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
