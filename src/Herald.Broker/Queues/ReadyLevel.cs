namespace Herald.Broker.Queues;

/// <summary>
/// One ready message in a <see cref="ReadyLevel"/>: either held in memory (<see cref="Entry"/>) or paged out, when only
/// what the queue needs to order and count it stays in memory (24 bytes: id and body size) and the message itself is
/// read back from the queue's log when it reaches the head. Its expiry is kept beside it by the level, and only by
/// levels that have seen a message that expires.
/// </summary>
internal struct ReadySlot
{
    public QueueEntry? Entry;
    public long Id;
    public int BodySize;
}

/// <summary>
/// The ready messages of one priority level in id order. Fresh messages are slots (in memory or paged out) in a
/// queue of fixed-size chunks; requeued messages were taken from the head earlier, so their ids are all below those
/// still in the chunks; they wait in a small sorted list served first, always in memory (their consumer held them).
/// Chunks rather than one growing ring: a queue of a million paged-out messages needs no 2^n-slot array (up to twice
/// the slots, plus the old array while it doubles, on the large-object heap) and gives memory back as it drains.
/// Not thread-safe: the queue's lock.
/// </summary>
internal sealed class ReadyLevel
{
    private const int ChunkShift = 7;

    /// <summary>128 slots (3 KiB): a priority queue's many levels cost little, a million messages are 8,192 chunks.</summary>
    private const int ChunkSize = 1 << ChunkShift;

    private const int ChunkMask = ChunkSize - 1;

    // Circular array of chunks: _chunks[(_firstChunk + k) & (_chunks.Length - 1)] for k < _chunkCount.
    private Chunk[] _chunks = new Chunk[4];
    private int _firstChunk;
    private int _chunkCount;
    private int _head; // the oldest slot's index in the first chunk
    private int _count;
    private Chunk? _spare; // one emptied chunk kept, so a short queue cycling through chunks allocates none
    // Sorted by id descending so the smallest is removed from the end in O(1).
    private readonly List<QueueEntry> _returned = [];

    public int Count => _count + _returned.Count;

    /// <summary>Fresh slots, for the page-in that fills a run of them: index 0 is the oldest.</summary>
    public int FreshCount => _count;

    public ref ReadySlot FreshAt(int index)
    {
        var position = _head + index;
        return ref ChunkAt(position >> ChunkShift).Slots[position & ChunkMask];
    }

    /// <summary>When the fresh message at <paramref name="index"/> expires (long.MaxValue: never).</summary>
    public long FreshExpiryAt(int index)
    {
        var position = _head + index;
        return ChunkAt(position >> ChunkShift).Expiries is { } expiries ? expiries[position & ChunkMask] : long.MaxValue;
    }

    /// <summary>True when the next <see cref="Take"/> would meet a paged-out message: page it in first.</summary>
    public bool HeadIsPaged => _returned.Count == 0 && _count > 0 && FreshAt(0).Entry is null;

    public void Add(QueueEntry entry) =>
        Push(new ReadySlot { Entry = entry, Id = entry.Id, BodySize = (int)entry.Message.BodySize }, entry.ExpiresAtMilliseconds);

    public void AddPaged(long id, long expiresAtMilliseconds, int bodySize) =>
        Push(new ReadySlot { Id = id, BodySize = bodySize }, expiresAtMilliseconds);

    private void Push(in ReadySlot slot, long expiresAtMilliseconds)
    {
        var position = _head + _count;
        var chunkIndex = position >> ChunkShift;
        if (chunkIndex == _chunkCount)
        {
            AppendChunk();
        }
        var chunk = ChunkAt(chunkIndex);
        chunk.Slots[position & ChunkMask] = slot;
        if (expiresAtMilliseconds != long.MaxValue)
        {
            chunk.ExpiriesForWriting()[position & ChunkMask] = expiresAtMilliseconds;
        }
        _count++;
    }

    public void Return(QueueEntry entry)
    {
        var low = 0;
        var high = _returned.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_returned[mid].Id > entry.Id)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        _returned.Insert(low, entry);
    }

    /// <summary>The head's expiry, or false when the level is empty.</summary>
    public bool TryPeekExpiry(out long expiresAtMilliseconds)
    {
        if (_returned.Count > 0)
        {
            expiresAtMilliseconds = _returned[^1].ExpiresAtMilliseconds;
            return true;
        }
        expiresAtMilliseconds = _count > 0 ? FreshExpiryAt(0) : 0;
        return _count > 0;
    }

    /// <summary>Removes the head, which must be in memory (see <see cref="HeadIsPaged"/>); null when empty.</summary>
    public QueueEntry? Take()
    {
        if (_returned.Count > 0)
        {
            var entry = _returned[^1];
            _returned.RemoveAt(_returned.Count - 1);
            return entry;
        }
        if (_count == 0)
        {
            return null;
        }
        var fresh = FreshAt(0).Entry ?? throw new InvalidOperationException("The head of the level is paged out.");
        RemoveHead();
        return fresh;
    }

    /// <summary>Removes the head without reading it (a paged-out message whose record is unreadable); returns its id.</summary>
    public long DropHead()
    {
        var id = FreshAt(0).Id;
        RemoveHead();
        return id;
    }

    /// <summary>Removes everything, adding each id to <paramref name="ids"/>; returns the bytes of the in-memory ones.</summary>
    public long Drain(List<long> ids)
    {
        long inMemoryBytes = 0;
        for (var i = _returned.Count - 1; i >= 0; i--)
        {
            ids.Add(_returned[i].Id);
            inMemoryBytes += _returned[i].Message.BodySize;
        }
        _returned.Clear();
        for (var i = 0; i < _count; i++)
        {
            ref var slot = ref FreshAt(i);
            ids.Add(slot.Id);
            if (slot.Entry is not null)
            {
                inMemoryBytes += slot.BodySize;
            }
        }
        while (_chunkCount > 0)
        {
            ReleaseFirstChunk();
        }
        _head = 0;
        _count = 0;
        return inMemoryBytes;
    }

    private void RemoveHead()
    {
        FreshAt(0) = default; // drops the entry, so a taken message is not kept alive by its old slot
        _head++;
        _count--;
        if (_head == ChunkSize || _count == 0)
        {
            // The first chunk is spent (or the level is empty and the next push starts a chunk afresh).
            ReleaseFirstChunk();
            _head = 0;
        }
    }

    private Chunk ChunkAt(int index) => _chunks[(_firstChunk + index) & (_chunks.Length - 1)];

    private void AppendChunk()
    {
        if (_chunkCount == _chunks.Length)
        {
            var larger = new Chunk[_chunks.Length * 2];
            for (var i = 0; i < _chunkCount; i++)
            {
                larger[i] = ChunkAt(i);
            }
            _chunks = larger;
            _firstChunk = 0;
        }
        var chunk = _spare ?? new Chunk();
        _spare = null;
        _chunks[(_firstChunk + _chunkCount) & (_chunks.Length - 1)] = chunk;
        _chunkCount++;
    }

    private void ReleaseFirstChunk()
    {
        ref var first = ref _chunks[_firstChunk];
        var chunk = first;
        first = null!;
        _firstChunk = (_firstChunk + 1) & (_chunks.Length - 1);
        _chunkCount--;
        Array.Clear(chunk.Slots); // a drained or partly used chunk may still hold entries
        if (chunk.Expiries is { } expiries)
        {
            Array.Fill(expiries, long.MaxValue);
        }
        _spare = chunk;
    }

    private sealed class Chunk
    {
        public readonly ReadySlot[] Slots = new ReadySlot[ChunkSize];

        /// <summary>Null until a message that expires is put in the chunk: until then none of its messages expire.</summary>
        public long[]? Expiries;

        public long[] ExpiriesForWriting()
        {
            if (Expiries is null)
            {
                Expiries = new long[ChunkSize];
                Array.Fill(Expiries, long.MaxValue);
            }
            return Expiries;
        }
    }
}
