using Herald.Broker.Messages;

namespace Herald.Broker.Queues;

/// <summary>
/// One message in one queue: its id (the log offset for a durable queue, a counter otherwise), when it expires,
/// how often it came back, and while delivered, which consumer and delivery session hold it.
/// </summary>
internal sealed class QueueEntry(Queue queue, long id, Message message, int level, long expiresAtMilliseconds)
{
    public Queue Queue { get; } = queue;

    public long Id { get; } = id;

    public Message Message { get; } = message;

    /// <summary>The priority level it is kept in (0 for a queue without priorities).</summary>
    public int Level { get; } = level;

    /// <summary>Unix milliseconds after which it is dead (long.MaxValue: never).</summary>
    public long ExpiresAtMilliseconds { get; } = expiresAtMilliseconds;

    /// <summary>Times it was returned to the queue (nack/reject with requeue, channel closed).</summary>
    public long ReturnCount { get; set; }

    public bool Redelivered { get; set; }

    public QueueConsumer? Consumer { get; set; }

    public DeliverySession? Session { get; set; }

    public long DeliveryTag { get; set; }

    /// <summary>Delivered without acknowledgement (no-ack consumer or basic.get no-ack): settled on delivery.</summary>
    public bool AutoAck { get; set; }
}

/// <summary>
/// One ready message in a <see cref="ReadyLevel"/>: either held in memory (<see cref="Entry"/>) or paged out, when only
/// what the queue needs to order, count and expire it stays in memory and the message itself is read back from the
/// queue's log when it reaches the head (32 bytes instead of the whole message).
/// </summary>
internal struct ReadySlot
{
    public QueueEntry? Entry;
    public long Id;
    public long ExpiresAtMilliseconds;
    public int BodySize;
}

/// <summary>
/// The ready messages of one priority level in id order. Fresh messages are slots in a ring (in memory or paged out);
/// requeued messages were taken from the head earlier, so their ids are all below those still in the ring; they wait
/// in a small sorted list served first, always in memory (their consumer held them). Not thread-safe: the queue's lock.
/// </summary>
internal sealed class ReadyLevel
{
    private ReadySlot[] _ring = new ReadySlot[16];
    private int _head;
    private int _count;
    // Sorted by id descending so the smallest is removed from the end in O(1).
    private readonly List<QueueEntry> _returned = [];

    public int Count => _count + _returned.Count;

    /// <summary>Fresh slots (the ring), for the page-in that fills a run of them: index 0 is the oldest.</summary>
    public int FreshCount => _count;

    public ref ReadySlot FreshAt(int index) => ref _ring[(_head + index) & (_ring.Length - 1)];

    /// <summary>True when the next <see cref="Take"/> would meet a paged-out message: page it in first.</summary>
    public bool HeadIsPaged => _returned.Count == 0 && _count > 0 && FreshAt(0).Entry is null;

    public void Add(QueueEntry entry) => Push(new ReadySlot
    {
        Entry = entry,
        Id = entry.Id,
        ExpiresAtMilliseconds = entry.ExpiresAtMilliseconds,
        BodySize = (int)entry.Message.BodySize,
    });

    public void AddPaged(long id, long expiresAtMilliseconds, int bodySize) => Push(new ReadySlot
    {
        Id = id,
        ExpiresAtMilliseconds = expiresAtMilliseconds,
        BodySize = bodySize,
    });

    private void Push(in ReadySlot slot)
    {
        if (_count == _ring.Length)
        {
            var larger = new ReadySlot[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                larger[i] = FreshAt(i);
            }
            _ring = larger;
            _head = 0;
        }
        _ring[(_head + _count) & (_ring.Length - 1)] = slot;
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
        expiresAtMilliseconds = _count > 0 ? FreshAt(0).ExpiresAtMilliseconds : 0;
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
        ref var head = ref FreshAt(0);
        var fresh = head.Entry ?? throw new InvalidOperationException("The head of the level is paged out.");
        head = default;
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
        return fresh;
    }

    /// <summary>Removes the head without reading it (a paged-out message whose record is unreadable); returns its id.</summary>
    public long DropHead()
    {
        var id = FreshAt(0).Id;
        FreshAt(0) = default;
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
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
            slot = default;
        }
        _head = 0;
        _count = 0;
        return inMemoryBytes;
    }
}
