using System.Buffers;
using Herald.Broker.Topics;
using Herald.Primitives.Records;

namespace Herald.Broker.Streams;

/// <summary>
/// One Redis stream key: a single-partition topic holding its entries (one record per entry, see
/// <see cref="StreamEntryCodec"/>), an in-memory ordered index entry ID → log offset, and the state the log itself
/// cannot say (deleted entries, the logical start after trims, XSETID, consumer groups), persisted through
/// <see cref="StreamStateLog"/>.
///
/// Why an in-memory index: IDs grow with offsets (every XADD appends one record after the previous one), so a
/// pair of parallel arrays sorted by both is a binary search away from any ID, costs 24 bytes per entry (24 MB for a
/// million entries) and is rebuilt at load by one scan of record keys. The log's time index could find the first
/// millisecond but not the sequence within it, and explicit IDs need not follow the clock.
///
/// Deletions: XDEL marks offsets deleted (a set, persisted as one record each); trimming moves the logical start
/// (<see cref="FirstOffset"/>, persisted) and, once far enough, the log's own start, so whole segments are freed by
/// retention. Readers see entries only below the partition's high watermark (durable under the fsync policy).
///
/// Thread-safety: every member is used under <see cref="Gate"/>, which <see cref="StreamStore"/> takes.
/// </summary>
public sealed class RedisStream
{
    /// <summary>Entries per node as Redis's default stream-node-max-entries: the granularity of approximate trims.</summary>
    public const int NodeEntries = 100;

    internal readonly Lock Gate = new();
    private StreamId[] _ids = new StreamId[16];
    private long[] _offsets = new long[16];
    private int _head;
    private int _count;
    private readonly HashSet<long> _deleted = [];
    private readonly RecordBatchBuilder _builder = new(256);
    private byte[] _valueScratch = new byte[256];

    internal RedisStream(byte[] key, Topic topic, Partition partition)
    {
        Key = key;
        Topic = topic;
        Partition = partition;
        FirstOffset = partition.LogStartOffset.Value;
    }

    public byte[] Key { get; }

    internal Topic Topic { get; }

    internal Partition Partition { get; }

    /// <summary>False once the stream was deleted (DEL, FLUSHALL); callers that raced with that see no stream.</summary>
    internal bool IsLive { get; set; } = true;

    public StreamId LastId { get; internal set; }

    public long EntriesAdded { get; internal set; }

    public StreamId MaxDeletedId { get; internal set; }

    /// <summary>The logical start: entries at lower offsets are trimmed.</summary>
    internal long FirstOffset { get; private set; }

    internal SortedDictionary<byte[], StreamGroup> Groups { get; } = new(ByteOrder.Instance);

    /// <summary>The groups in name order (XINFO); use under <see cref="StreamStore.Inspect{T}"/> only.</summary>
    public IEnumerable<StreamGroup> AllGroups => Groups.Values;

    public StreamGroup? FindGroup(byte[] name) => Groups.GetValueOrDefault(name);

    /// <summary>Index entries, live or deleted, that are not trimmed: a measure of the stream's size in nodes.</summary>
    public long StoredEntries => IndexCount;

    /// <summary>The first <paramref name="count"/> entries (negative: all), for XINFO STREAM FULL.</summary>
    public List<StreamEntry> Head(long count) => Range(StreamId.Min, StreamId.Max, count, reverse: false);

    /// <summary>The first and last live entries, for XINFO STREAM.</summary>
    public (StreamEntry? First, StreamEntry? Last) Ends()
    {
        var first = Range(StreamId.Min, StreamId.Max, 1, reverse: false);
        var last = Range(StreamId.Min, StreamId.Max, 1, reverse: true);
        return (first.Count > 0 ? first[0] : null, last.Count > 0 ? last[0] : null);
    }

    /// <summary>Redis's lag of <paramref name="group"/> (XINFO GROUPS), null when unknown.</summary>
    public long? GroupLag(StreamGroup group) => Lag(group);

    /// <summary>Live entries (Redis's XLEN).</summary>
    public long Length => _count - _head - _deleted.Count;

    internal int IndexCount => _count - _head;

    internal StreamMeta Meta() => new(Key, LastId, EntriesAdded, MaxDeletedId, FirstOffset, Partition.LogEndOffset.Value);

    internal KeyValuePair<byte[], byte[]?> MetaRecord() =>
        new(StreamStateRecords.StreamKey(Topic.Id), StreamStateRecords.StreamValue(Meta()));

    /// <summary>Applies persisted facts at load, after <see cref="IndexAppend"/> has seen every stored entry.</summary>
    internal void Restore(StreamMeta meta, IEnumerable<long> deletedOffsets, long entriesInLogSinceMeta)
    {
        LastId = meta.LastId > LastId ? meta.LastId : LastId;
        EntriesAdded = meta.EntriesAdded + entriesInLogSinceMeta;
        MaxDeletedId = meta.MaxDeletedId;
        DropBelow(Math.Max(meta.FirstOffset, Partition.LogStartOffset.Value));
        foreach (var offset in deletedOffsets)
        {
            if (offset >= FirstOffset && Find(offset) >= 0)
            {
                _deleted.Add(offset);
            }
        }
    }

    internal void IndexAppend(StreamId id, long offset)
    {
        if (_count == _ids.Length)
        {
            if (_head > _count / 2)
            {
                Array.Copy(_ids, _head, _ids, 0, _count - _head);
                Array.Copy(_offsets, _head, _offsets, 0, _count - _head);
                _count -= _head;
                _head = 0;
            }
            else
            {
                Array.Resize(ref _ids, _ids.Length * 2);
                Array.Resize(ref _offsets, _offsets.Length * 2);
            }
        }
        _ids[_count] = id;
        _offsets[_count] = offset;
        _count++;
        if (id > LastId)
        {
            LastId = id;
        }
    }

    /// <summary>The first index position whose ID is at least <paramref name="id"/> (or <c>_count</c>).</summary>
    private int LowerBound(StreamId id)
    {
        int lo = _head, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ids[mid] < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>The index position of <paramref name="offset"/>, or -1.</summary>
    private int Find(long offset)
    {
        var at = Array.BinarySearch(_offsets, _head, _count - _head, offset);
        return at >= 0 ? at : -1;
    }

    /// <summary>The index position of the entry with <paramref name="id"/>, if it is live and readable; else -1.</summary>
    private int FindLive(StreamId id)
    {
        var at = LowerBound(id);
        return at < _count && _ids[at] == id && !_deleted.Contains(_offsets[at]) && _offsets[at] < VisibleEnd ? at : -1;
    }

    internal bool Contains(StreamId id) => FindLive(id) >= 0;

    private long VisibleEnd => Partition.HighWatermark.Value;

    /// <summary>The first live entry's ID, or 0-0 when empty (Redis's first_id).</summary>
    public StreamId FirstId
    {
        get
        {
            for (var i = _head; i < _count; i++)
            {
                if (!_deleted.Contains(_offsets[i]))
                {
                    return _ids[i];
                }
            }
            return StreamId.Min;
        }
    }

    /// <summary>The last live entry's ID (the "top item"), or 0-0 when empty.</summary>
    public StreamId TopId
    {
        get
        {
            for (var i = _count - 1; i >= _head; i--)
            {
                if (!_deleted.Contains(_offsets[i]))
                {
                    return _ids[i];
                }
            }
            return StreamId.Min;
        }
    }

    /// <summary>
    /// Live entries with IDs in [<paramref name="start"/>, <paramref name="end"/>], at most <paramref name="count"/>
    /// (negative: all), in ID order or reversed.
    /// </summary>
    internal List<StreamEntry> Range(StreamId start, StreamId end, long count, bool reverse)
    {
        var result = new List<StreamEntry>();
        if (start > end || count == 0)
        {
            return result;
        }
        var visible = VisibleEnd;
        var first = LowerBound(start);
        var last = LowerBound(end);
        if (last < _count && _ids[last] == end)
        {
            last++;
        }
        // [first, last) holds the IDs in range. Pick the live, visible positions, then read their bodies from the
        // log in one pass (entries are consecutive records, so one read covers many).
        var positions = new List<int>();
        if (!reverse)
        {
            for (var i = first; i < last && (count < 0 || positions.Count < count); i++)
            {
                if (_offsets[i] >= visible)
                {
                    break;
                }
                if (!_deleted.Contains(_offsets[i]))
                {
                    positions.Add(i);
                }
            }
        }
        else
        {
            for (var i = last - 1; i >= first && (count < 0 || positions.Count < count); i--)
            {
                if (_offsets[i] < visible && !_deleted.Contains(_offsets[i]))
                {
                    positions.Add(i);
                }
            }
            positions.Reverse();
        }
        ReadEntries(positions, result);
        if (reverse)
        {
            result.Reverse();
        }
        return result;
    }

    /// <summary>
    /// Appends the entries at index <paramref name="positions"/> (ascending) to <paramref name="result"/>, reading
    /// the log front to back in chunks; an entry whose record cannot be read or decoded is left out.
    /// </summary>
    private void ReadEntries(List<int> positions, List<StreamEntry> result)
    {
        const int minChunkBytes = 4 * 1024;
        const int maxChunkBytes = 1024 * 1024;
        var next = 0;
        byte[]? buffer = null;
        try
        {
            while (next < positions.Count)
            {
                var wanted = _offsets[positions[next]];
                // About 256 bytes an entry: small reads for COUNT 10, 1 MiB pieces for a whole stream.
                var chunk = (int)Math.Clamp((positions.Count - next) * 256L, minChunkBytes, maxChunkBytes);
                if (Partition.TryRead(new Primitives.Offset(wanted), chunk, out var slice) != TopicError.None)
                {
                    return;
                }
                var before = next;
                using (slice)
                {
                    if (buffer is null || buffer.Length < slice.Length)
                    {
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                        }
                        buffer = ArrayPool<byte>.Shared.Rent(Math.Max(slice.Length, minChunkBytes));
                    }
                    if (Partition.TryCopy(slice, buffer, out var whole) != TopicError.None)
                    {
                        return;
                    }
                    next = DecodeEntries(buffer.AsSpan(0, whole), positions, next, result);
                }
                if (next == before)
                {
                    // Nothing of the wanted record came back (a gap in the log): leave that entry out.
                    next++;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Walks the whole batches in <paramref name="batches"/>, decoding the records at the offsets of
    /// <paramref name="positions"/> from <paramref name="next"/> on; returns the first position not yet passed.
    /// Positions whose records are missing are passed over.
    /// </summary>
    private int DecodeEntries(ReadOnlySpan<byte> batches, List<int> positions, int next, List<StreamEntry> result)
    {
        var p = 0;
        while (next < positions.Count && p < batches.Length && RecordBatchHeader.TryRead(batches[p..], out var header))
        {
            var size = (int)header.TotalSize;
            if ((header.Attributes & 0x7) == 0 && _offsets[positions[next]] <= header.LastOffset)
            {
                var reader = new RecordReader(batches.Slice(p + RecordBatch.HeaderSize, size - RecordBatch.HeaderSize));
                while (next < positions.Count && reader.TryReadNext(out var record))
                {
                    var offset = header.BaseOffset + record.OffsetDelta;
                    while (next < positions.Count && _offsets[positions[next]] < offset)
                    {
                        next++;
                    }
                    if (next < positions.Count && _offsets[positions[next]] == offset)
                    {
                        if (StreamEntryCodec.DecodeValue(record.Value) is { } fields)
                        {
                            result.Add(new StreamEntry(_ids[positions[next]], fields));
                        }
                        next++;
                    }
                }
            }
            while (next < positions.Count && _offsets[positions[next]] <= header.LastOffset)
            {
                next++;
            }
            p += size;
        }
        return next;
    }

    /// <summary>The body of the entry with <paramref name="id"/>, or null when it is gone.</summary>
    internal byte[][]? TryReadEntry(StreamId id)
    {
        var at = FindLive(id);
        if (at < 0)
        {
            return null;
        }
        var result = new List<StreamEntry>(1);
        ReadEntries([at], result);
        return result.Count > 0 ? result[0].Fields : null;
    }

    /// <summary>
    /// Appends one entry as a one-record batch; the caller has chosen a valid <paramref name="id"/> above
    /// <see cref="LastId"/>. Returns the append's durability task, or the topic error that refused it.
    /// </summary>
    internal (TopicError Error, Task Durable) Append(StreamId id, IReadOnlyList<ReadOnlyMemory<byte>> fieldsAndValues)
    {
        var timestamp = StreamEntryCodec.Timestamp(id);
        Span<byte> key = stackalloc byte[StreamId.MaxTextLength];
        key = key[..id.Format(key)];
        var valueSize = StreamEntryCodec.ValueSize(fieldsAndValues);
        if (_valueScratch.Length < valueSize)
        {
            _valueScratch = new byte[Math.Max(valueSize, _valueScratch.Length * 2)];
        }
        var value = _valueScratch.AsSpan(0, valueSize);
        StreamEntryCodec.EncodeValue(fieldsAndValues, value);
        _builder.Reset(timestamp);
        _builder.Add(0, timestamp, key, keyIsNull: false, value, valueIsNull: false, 0, default);
        // The builder's buffer is this stream's own (used under Gate) and the log copies the batch before Append
        // returns, so the batch is appended in place: Append stamps the offset and CRC into it.
        var appended = Partition.Append(_builder.Build());
        if (appended.Error != TopicError.None)
        {
            return (appended.Error, Task.CompletedTask);
        }
        IndexAppend(id, appended.BaseOffset.Value);
        EntriesAdded++;
        return (TopicError.None, appended.Durable);
    }

    /// <summary>Marks <paramref name="ids"/> deleted; returns how many were live, adding the records to persist.</summary>
    internal long Delete(IReadOnlyList<StreamId> ids, List<KeyValuePair<byte[], byte[]?>> changes)
    {
        long deleted = 0;
        foreach (var id in ids)
        {
            var at = LowerBound(id);
            if (at < _count && _ids[at] == id && _deleted.Add(_offsets[at]))
            {
                deleted++;
                changes.Add(new(StreamStateRecords.DeletedKey(Topic.Id, _offsets[at]), [1]));
                if (id > MaxDeletedId)
                {
                    MaxDeletedId = id;
                }
            }
        }
        if (deleted > 0)
        {
            changes.Add(MetaRecord());
        }
        return deleted;
    }

    /// <summary>
    /// Trims by <paramref name="trim"/>; returns the number of entries removed, adding the records to persist. An
    /// approximate trim removes only whole nodes of <see cref="NodeEntries"/> offsets, as Redis removes whole radix
    /// tree nodes, and at most <see cref="StreamTrim.Limit"/> entries.
    /// </summary>
    internal long Trim(StreamTrim trim, List<KeyValuePair<byte[], byte[]?>> changes)
    {
        // The exact cut: the first position that must stay.
        int keep;
        if (trim.Strategy == StreamTrimStrategy.MaxLen)
        {
            var toRemove = Length - trim.MaxLen;
            keep = _head;
            while (toRemove > 0 && keep < _count)
            {
                if (!_deleted.Contains(_offsets[keep]))
                {
                    toRemove--;
                }
                keep++;
            }
        }
        else
        {
            keep = LowerBound(trim.MinId);
        }
        if (keep == _head)
        {
            return 0;
        }
        var cutOffset = keep < _count ? _offsets[keep] : Partition.LogEndOffset.Value;
        if (trim.Approximate)
        {
            // Whole nodes only: the cut moves down to the start of the node that holds the first kept entry (when
            // nothing is kept, every node goes, the last partial one too, as Redis removes it whole).
            var nodeStart = keep < _count ? cutOffset - (cutOffset % NodeEntries) : cutOffset;
            if (nodeStart <= _offsets[_head])
            {
                return 0;
            }
            cutOffset = nodeStart;
            if (trim.Limit > 0)
            {
                // At most Limit entries, still in whole nodes.
                var limitCut = _offsets[_head] + trim.Limit;
                limitCut -= limitCut % NodeEntries;
                if (limitCut <= _offsets[_head])
                {
                    return 0;
                }
                cutOffset = Math.Min(cutOffset, limitCut);
            }
        }
        var removed = 0L;
        var position = _head;
        while (position < _count && _offsets[position] < cutOffset)
        {
            if (_deleted.Remove(_offsets[position]))
            {
                changes.Add(new(StreamStateRecords.DeletedKey(Topic.Id, _offsets[position]), null));
            }
            else
            {
                removed++;
            }
            position++;
        }
        _head = position;
        FirstOffset = cutOffset;
        changes.Add(MetaRecord());
        return removed;
    }

    /// <summary>Forgets index positions below <paramref name="offset"/> (load: the persisted logical start).</summary>
    private void DropBelow(long offset)
    {
        while (_head < _count && _offsets[_head] < offset)
        {
            _head++;
        }
        FirstOffset = Math.Max(FirstOffset, offset);
    }

    /// <summary>
    /// Moves the log's own start to the logical start once it is far enough ahead (each move writes and syncs a
    /// checkpoint, so not on every trim), letting retention free whole segments. Call after the trim is durable.
    /// </summary>
    internal void AdvanceLogStart(bool force)
    {
        var log = Partition.Log;
        var target = Math.Min(FirstOffset, log.HighWatermark.Value);
        if (target > log.LogStartOffset.Value && (force || target - log.LogStartOffset.Value >= 4096))
        {
            try
            {
                log.AdvanceLogStartOffset(new Primitives.Offset(target));
            }
            catch (Storage.Log.StorageException)
            {
                // The logical start already hides the entries; the physical one catches up on a later trim.
            }
        }
    }

    /// <summary>Estimated entries-read for a group positioned at <paramref name="id"/> (Redis's streamEstimateDistanceFromFirstEverEntry).</summary>
    internal long EstimateEntriesRead(StreamId id)
    {
        if (EntriesAdded == 0)
        {
            return 0;
        }
        if (Length == 0 && id <= LastId)
        {
            return EntriesAdded;
        }
        var compareLast = id.CompareTo(LastId);
        if (compareLast == 0)
        {
            return EntriesAdded;
        }
        if (compareLast > 0)
        {
            return -1;
        }
        var first = FirstId;
        if (MaxDeletedId == StreamId.Min || MaxDeletedId < first)
        {
            var compareFirst = id.CompareTo(first);
            if (compareFirst < 0)
            {
                return EntriesAdded - Length;
            }
            if (compareFirst == 0)
            {
                return EntriesAdded - Length + 1;
            }
        }
        return -1;
    }

    /// <summary>Whether a deleted entry may lie at or after <paramref name="start"/> (Redis's streamRangeHasTombstones).</summary>
    internal bool HasTombstonesFrom(StreamId start) =>
        Length != 0 && MaxDeletedId != StreamId.Min && start <= MaxDeletedId;

    /// <summary>Redis's lag of a group: entries added but not yet read by it, or null when unknown.</summary>
    internal long? Lag(StreamGroup group)
    {
        if (EntriesAdded == 0)
        {
            return 0;
        }
        if (group.EntriesRead >= 0 && !HasTombstonesFrom(group.LastDelivered))
        {
            return EntriesAdded - group.EntriesRead;
        }
        var estimate = EstimateEntriesRead(group.LastDelivered);
        return estimate >= 0 ? EntriesAdded - estimate : null;
    }

    /// <summary>Live entries after <paramref name="after"/>, at most <paramref name="count"/> (negative: all).</summary>
    internal List<StreamEntry> After(StreamId after, long count) =>
        after.TryIncrement(out var start) ? Range(start, StreamId.Max, count, reverse: false) : [];

    internal void Clear()
    {
        _head = _count = 0;
        _deleted.Clear();
        Groups.Clear();
    }
}

/// <summary>How XADD and XTRIM trim: by length or by minimum ID, exactly or in whole nodes, with a work limit.</summary>
public enum StreamTrimStrategy
{
    MaxLen,
    MinId,
}

/// <summary>A trim request (XADD's MAXLEN/MINID, XTRIM). <see cref="Limit"/> 0 means unlimited.</summary>
public readonly record struct StreamTrim(StreamTrimStrategy Strategy, long MaxLen, StreamId MinId, bool Approximate, long Limit);
