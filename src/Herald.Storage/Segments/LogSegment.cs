using Herald.Primitives.Records;
using Herald.Storage.Indexes;
using Herald.Storage.IO;

namespace Herald.Storage.Segments;

/// <summary>
/// One segment of a log: a file of record batches back to back (<c>NNNNNNNNNNNNNNNNNNNN.log</c>, named by the base
/// offset of its first batch) plus its sparse <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>. Only the last
/// segment of a log (the active one) is appended to; the others are sealed and change only when the compactor
/// replaces them whole.
///
/// Lifetime: owned by its <see cref="Log.PartitionLog"/>, which holds one reference. Readers take a lease with
/// <see cref="TryAcquire"/> and give it back with <see cref="Release"/>; the file handle closes when the last lease
/// goes. When the log drops a segment (retention, compaction) it unlinks the files at once with
/// <see cref="DeleteFiles"/> (so the deletion can be made durable with one directory sync, in order with what
/// follows) and then <see cref="Close"/>s it: an open handle keeps the data readable, so a reader never finds its
/// bytes gone in the middle of a copy.
///
/// Thread-safety: appends come from the log's single writer under the log's lock; <see cref="Size"/>,
/// <see cref="NextOffset"/> and <see cref="MaxTimestamp"/> are published with volatile writes for lock-free readers.
/// </summary>
internal sealed class LogSegment
{
    private readonly IStorageDevice _device;
    private readonly IStorageFile _file;
    private long _size;
    private long _nextOffset;
    private long _maxTimestamp;
    private int _references = 1;
    private int _bytesSinceIndexEntry;

    private LogSegment(IStorageDevice device, string directory, long baseOffset, IStorageFile file, long size,
        long nextOffset, long maxTimestamp, OffsetIndex index, TimeIndex timeIndex)
    {
        _device = device;
        Directory = directory;
        BaseOffset = baseOffset;
        _file = file;
        _size = size;
        _nextOffset = nextOffset;
        _maxTimestamp = maxTimestamp;
        Index = index;
        TimeIndex = timeIndex;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    /// <summary>Bytes of complete batches in the file.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>One past the last offset stored in this segment; equals <see cref="BaseOffset"/> while empty.</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>Largest batch max-timestamp in the segment, or -1 while empty.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>
    /// Timestamp (ms) from which the segment's age is measured for <c>segment.ms</c>: the first batch's max
    /// timestamp, as Kafka does, or the clock when the segment was created empty.
    /// </summary>
    public long RollBaseTimestamp { get; set; } = -1;

    public bool IsEmpty => Size == 0;

    public OffsetIndex Index { get; private set; }

    public TimeIndex TimeIndex { get; private set; }

    public IStorageFile File => _file;

    public string LogPath => SegmentFileNames.LogFile(Directory, BaseOffset);

    /// <summary>Creates an empty segment file. The caller syncs the directory before relying on it.</summary>
    public static LogSegment Create(IStorageDevice device, string directory, long baseOffset)
    {
        var file = device.Open(SegmentFileNames.LogFile(directory, baseOffset), FileOpenMode.CreateNew);
        return new LogSegment(device, directory, baseOffset, file, 0, baseOffset, -1, new OffsetIndex(), new TimeIndex());
    }

    /// <summary>Opens an existing segment with the indexes given (loaded or rebuilt by recovery).</summary>
    public static LogSegment Open(IStorageDevice device, string directory, long baseOffset, IStorageFile file,
        long size, long nextOffset, long maxTimestamp, OffsetIndex index, TimeIndex timeIndex)
    {
        return new LogSegment(device, directory, baseOffset, file, size, nextOffset, maxTimestamp, index, timeIndex);
    }

    /// <summary>
    /// Writes batches (already carrying their final offsets) at the end of the file and indexes them. On failure
    /// the file is cut back to its previous size so no partial batch stays behind; if even that fails the
    /// exception says so and the caller takes the log offline.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, int indexIntervalBytes)
    {
        var position = _size;
        try
        {
            _file.Write(position, batches);
        }
        catch (IOException)
        {
            _file.SetLength(position); // roll back a partial write; throws if the device is gone
            throw;
        }
        var p = 0;
        var maxTimestamp = _maxTimestamp;
        long nextOffset = _nextOffset;
        while (p < batches.Length)
        {
            RecordBatchHeader.TryRead(batches[p..], out var header);
            var size = (int)header.TotalSize;
            if (RollBaseTimestamp < 0 && _nextOffset == BaseOffset)
            {
                RollBaseTimestamp = header.MaxTimestamp;
            }
            maxTimestamp = Math.Max(maxTimestamp, header.MaxTimestamp);
            IndexBatch(header.BaseOffset, header.LastOffset, (int)(position + p), size, maxTimestamp, indexIntervalBytes);
            nextOffset = header.LastOffset + 1;
            p += size;
        }
        Volatile.Write(ref _maxTimestamp, maxTimestamp);
        Volatile.Write(ref _nextOffset, nextOffset);
        Volatile.Write(ref _size, position + batches.Length);
    }

    /// <summary>
    /// Adds index entries for a batch at <paramref name="position"/>. The first batch of a segment is always
    /// indexed; after that one entry per <paramref name="indexIntervalBytes"/>. Used by appends and index rebuilds,
    /// so both produce the same index.
    /// </summary>
    public void IndexBatch(long baseOffset, long lastOffset, int position, int size, long maxTimestampSoFar,
        int indexIntervalBytes)
    {
        if (Index.Count == 0 || _bytesSinceIndexEntry >= indexIntervalBytes)
        {
            Index.Append(checked((int)(baseOffset - BaseOffset)), position);
            if (maxTimestampSoFar > TimeIndex.LastTimestamp)
            {
                TimeIndex.Append(maxTimestampSoFar, checked((int)(lastOffset - BaseOffset)));
            }
            _bytesSinceIndexEntry = 0;
        }
        _bytesSinceIndexEntry += size;
    }

    /// <summary>Cuts the file at <paramref name="position"/> (a batch boundary) during recovery.</summary>
    public void TruncateTo(long position, long nextOffset, long maxTimestamp)
    {
        _file.SetLength(position);
        Index.TruncateToPosition((int)position);
        TimeIndex.TruncateToRelativeOffset((int)Math.Min(int.MaxValue, nextOffset - BaseOffset));
        Volatile.Write(ref _size, position);
        Volatile.Write(ref _nextOffset, nextOffset);
        Volatile.Write(ref _maxTimestamp, maxTimestamp);
    }

    /// <summary>Replaces the indexes after a full rebuild (recovery).</summary>
    public void ReplaceIndexes(OffsetIndex index, TimeIndex timeIndex, int bytesSinceLastEntry)
    {
        Index = index;
        TimeIndex = timeIndex;
        _bytesSinceIndexEntry = bytesSinceLastEntry;
    }

    public void Flush() => _file.Flush();

    /// <summary>Writes both index files atomically (temp file, fsync, rename). The caller syncs the directory.</summary>
    public void WriteIndexes()
    {
        IndexFile.WriteAtomically(_device, SegmentFileNames.IndexFile(Directory, BaseOffset), Index.Serialize());
        IndexFile.WriteAtomically(_device, SegmentFileNames.TimeIndexFile(Directory, BaseOffset), TimeIndex.Serialize());
    }

    public int Read(long position, Span<byte> destination) => _file.Read(position, destination);

    /// <summary>Takes a lease that keeps the file open; false if the segment is already closed.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _file.Dispose();
        }
    }

    /// <summary>Drops the log's own reference; the handle closes once no reader holds a lease.</summary>
    public void Close() => Release();

    /// <summary>
    /// Unlinks the segment's files now. Readers holding leases keep reading through the open handle. The caller
    /// syncs the directory to make the deletion durable.
    /// </summary>
    public void DeleteFiles()
    {
        foreach (var path in new[]
                 {
                     LogPath, SegmentFileNames.IndexFile(Directory, BaseOffset),
                     SegmentFileNames.TimeIndexFile(Directory, BaseOffset),
                 })
        {
            try
            {
                if (_device.FileExists(path))
                {
                    _device.DeleteFile(path);
                }
            }
            catch (IOException)
            {
                // A leftover file of a dropped segment is harmless: the next open deletes segments below the log
                // start checkpoint.
            }
        }
    }
}
