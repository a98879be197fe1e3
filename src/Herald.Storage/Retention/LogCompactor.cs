using System.Buffers;
using System.Buffers.Binary;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Compression;
using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.Storage.Segments;

namespace Herald.Storage.Retention;

/// <summary>
/// One compaction pass over a log's sealed segments (Kafka's log cleaner, simplified to a full pass):
/// <list type="number">
/// <item>Map every key to the offset of its newest record in the segments given.</item>
/// <item>Rewrite, oldest first, each segment that loses records into <c>NNN.log.cleaned</c>: whole batches are
/// copied byte for byte when all their records stay; otherwise the batch is rebuilt from the survivors, keeping
/// their offsets, the batch's offset range and producer fields, and recompressed with the same codec.</item>
/// <item>Swap each copy in: delete the old index files and sync the directory (so a stale index can never describe
/// the new data), rename the copy over the segment (atomic), write fresh indexes, sync the directory again.</item>
/// </list>
/// A record survives when it has no key, when it is the newest for its key, or, for a tombstone (null value), while
/// it is younger than <see cref="LogOptions.DeleteRetention"/>. Batches whose codec is not available, and control
/// batches, are kept whole: keeping too much is always safe. Segments are swapped in order and each swap is durable
/// before the next starts, so a crash can never leave a dropped tombstone with an older value still present.
/// Not thread-safe; the log runs one pass at a time.
/// </summary>
internal sealed class LogCompactor(IStorageDevice device, string directory, CompressionCodecs codecs, LogOptions options,
    TimeProvider clock)
{
    private readonly Dictionary<byte[], long> _newestOffsetByKey = new(ByteContentComparer.Instance);
    private readonly RecordBatchBuilder _builder = new();

    /// <summary>
    /// Compacts <paramref name="segments"/>; returns the replacement per base offset for each rewritten segment (null
    /// when nothing survived) and the number of records removed. Segments not in the result are unchanged.
    /// </summary>
    public Dictionary<long, LogSegment?> Compact(LogSegment[] segments, bool isLogStart, out long removedRecords)
    {
        foreach (var segment in segments)
        {
            ForEachBatch(segment, (batch, _) => MapKeys(batch));
        }
        var deleteHorizon = clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)options.DeleteRetention.TotalMilliseconds;
        var replacements = new Dictionary<long, LogSegment?>();
        removedRecords = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var removed = CountRemovable(segment, deleteHorizon);
            if (removed == 0)
            {
                continue;
            }
            // The log's first segment stays even when empty: its base offset is the log start, and offsets a
            // consumer committed before compaction must stay readable (they continue at the next record).
            replacements[segment.BaseOffset] = Rewrite(segment, deleteHorizon, keepEmpty: i == 0 && isLogStart);
            removedRecords += removed;
        }
        return replacements;
    }

    private void MapKeys(ReadOnlySpan<byte> batch)
    {
        RecordBatchHeader.TryRead(batch, out var header);
        if (header.IsControl)
        {
            return;
        }
        using var records = codecs.OpenRecords(batch);
        var reader = new RecordReader(records.Span);
        var lookup = _newestOffsetByKey.GetAlternateLookup<ReadOnlySpan<byte>>();
        while (reader.TryReadNext(out var record))
        {
            if (!record.KeyIsNull)
            {
                lookup[record.Key] = header.BaseOffset + record.OffsetDelta;
            }
        }
    }

    private bool Survives(in Record record, long offset, long timestamp, long deleteHorizon)
    {
        if (record.KeyIsNull)
        {
            return true;
        }
        var lookup = _newestOffsetByKey.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(record.Key, out var newest) && newest != offset)
        {
            return false;
        }
        return !record.ValueIsNull || timestamp >= deleteHorizon;
    }

    private long CountRemovable(LogSegment segment, long deleteHorizon)
    {
        long removed = 0;
        ForEachBatch(segment, (batch, _) =>
        {
            RecordBatchHeader.TryRead(batch, out var header);
            if (header.IsControl)
            {
                return;
            }
            using var records = codecs.OpenRecords(batch);
            var reader = new RecordReader(records.Span);
            while (reader.TryReadNext(out var record))
            {
                if (!Survives(record, header.BaseOffset + record.OffsetDelta, RecordTimestamp(header, record), deleteHorizon))
                {
                    removed++;
                }
            }
        });
        return removed;
    }

    private LogSegment? Rewrite(LogSegment segment, long deleteHorizon, bool keepEmpty)
    {
        var cleanedPath = SegmentFileNames.LogFile(directory, segment.BaseOffset) + SegmentFileNames.CleanedSuffix;
        var file = device.Open(cleanedPath, FileOpenMode.OpenOrCreate);
        file.SetLength(0);
        var copy = LogSegment.Open(device, directory, segment.BaseOffset, file, 0, segment.BaseOffset, -1,
            new Indexes.OffsetIndex(), new Indexes.TimeIndex());
        try
        {
            ForEachBatch(segment, (batch, _) => CopySurvivors(batch, copy, deleteHorizon));
            if (copy.IsEmpty && !keepEmpty)
            {
                // Nothing survived: the segment goes now, durably, before the next (newer) segment is rewritten,
                // for the same reason swaps happen in order (a dropped tombstone must never outlive its key).
                copy.Close();
                device.DeleteFile(cleanedPath);
                segment.DeleteFiles();
                device.SyncDirectory(directory);
                return null;
            }
            copy.Flush();
            var indexPath = SegmentFileNames.IndexFile(directory, segment.BaseOffset);
            var timeIndexPath = SegmentFileNames.TimeIndexFile(directory, segment.BaseOffset);
            foreach (var path in new[] { indexPath, timeIndexPath })
            {
                if (device.FileExists(path))
                {
                    device.DeleteFile(path);
                }
            }
            device.SyncDirectory(directory);
            device.Rename(cleanedPath, SegmentFileNames.LogFile(directory, segment.BaseOffset));
            copy.WriteIndexes();
            device.SyncDirectory(directory);
            return copy;
        }
        catch
        {
            copy.Close();
            throw;
        }
    }

    private void CopySurvivors(ReadOnlySpan<byte> batch, LogSegment copy, long deleteHorizon)
    {
        RecordBatchHeader.TryRead(batch, out var header);
        var size = (int)header.TotalSize;
        if (header.IsControl)
        {
            copy.Append(batch[..size], options.IndexIntervalBytes);
            return;
        }
        using var records = codecs.OpenRecords(batch);
        if (!records.IsAvailable)
        {
            copy.Append(batch[..size], options.IndexIntervalBytes);
            return;
        }
        var attributes = (short)(header.Attributes & ~RecordBatch.CompressionMask);
        _builder.Reset(header.BaseTimestamp, attributes, header.ProducerId, header.ProducerEpoch, header.BaseSequence);
        var total = 0;
        var reader = new RecordReader(records.Span);
        while (reader.TryReadNext(out var record))
        {
            total++;
            var timestamp = RecordTimestamp(header, record);
            if (Survives(record, header.BaseOffset + record.OffsetDelta, timestamp, deleteHorizon))
            {
                _builder.Add(record.OffsetDelta, header.BaseTimestamp + record.TimestampDelta, record.Key,
                    record.KeyIsNull, record.Value, record.ValueIsNull, record.HeaderCount, record.Headers);
            }
        }
        if (_builder.RecordCount == total)
        {
            copy.Append(batch[..size], options.IndexIntervalBytes); // untouched: keep the producer's bytes
            return;
        }
        if (_builder.RecordCount == 0)
        {
            return;
        }
        var rebuilt = _builder.Build(header.LastOffsetDelta, header.BaseOffset);
        var codec = codecs.Get(header.Compression);
        if (header.Compression == CompressionType.None || codec is null)
        {
            copy.Append(FixTimestamps(rebuilt.ToArray(), header), options.IndexIntervalBytes);
            return;
        }
        var compressed = new ArrayBufferWriter<byte>(rebuilt.Length);
        compressed.Write(rebuilt[..RecordBatch.HeaderSize]);
        codec.Compress(rebuilt[RecordBatch.HeaderSize..], compressed);
        var bytes = compressed.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(RecordBatch.LengthPosition), bytes.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(RecordBatch.AttributesPosition), header.Attributes);
        copy.Append(FixTimestamps(bytes, header), options.IndexIntervalBytes);
    }

    /// <summary>Keeps the original max timestamp (log-append-time batches carry it only there) and fixes the CRC.</summary>
    private static byte[] FixTimestamps(byte[] batch, RecordBatchHeader original)
    {
        if (original.TimestampType == TimestampType.LogAppendTime)
        {
            BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatch.MaxTimestampPosition), original.MaxTimestamp);
        }
        RecordBatch.UpdateCrc(batch);
        return batch;
    }

    private static long RecordTimestamp(RecordBatchHeader header, in Record record) =>
        header.TimestampType == TimestampType.LogAppendTime ? header.MaxTimestamp : header.BaseTimestamp + record.TimestampDelta;

    private delegate void BatchVisitor(ReadOnlySpan<byte> batch, long position);

    /// <summary>Reads each batch of a segment whole into a pooled buffer and hands it to <paramref name="visit"/>.</summary>
    private static void ForEachBatch(LogSegment segment, BatchVisitor visit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var end = segment.Size;
            var scan = BatchScanner.Scan(segment.File, 0, end, verifyCrc: true, -1, false, info =>
            {
                if (buffer.Length < info.Size)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(info.Size);
                }
                var span = buffer.AsSpan(0, info.Size);
                segment.Read(info.Position, span);
                visit(span, info.Position);
                return true;
            });
            if (scan.Stop != ScanStop.None || scan.EndPosition != end)
            {
                // Never rewrite a segment we could not read whole: the copy would silently lose its tail.
                throw new IOException($"Segment {segment.LogPath} has an unreadable batch at byte {scan.EndPosition}.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
