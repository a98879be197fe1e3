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
/// The ready messages of one priority level in id order. Requeued messages were taken from the head earlier, so
/// their ids are all below those still in <see cref="_fresh"/>; they wait in a small sorted list served first.
/// </summary>
internal sealed class ReadyLevel
{
    private readonly Queue<QueueEntry> _fresh = new();
    // Sorted by id descending so the smallest is removed from the end in O(1).
    private readonly List<QueueEntry> _returned = [];

    public int Count => _fresh.Count + _returned.Count;

    public void Add(QueueEntry entry) => _fresh.Enqueue(entry);

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

    public QueueEntry? Peek() => _returned.Count > 0 ? _returned[^1] : _fresh.Count > 0 ? _fresh.Peek() : null;

    public QueueEntry? Take()
    {
        if (_returned.Count > 0)
        {
            var entry = _returned[^1];
            _returned.RemoveAt(_returned.Count - 1);
            return entry;
        }
        return _fresh.TryDequeue(out var fresh) ? fresh : null;
    }

    /// <summary>Removes everything, calling <paramref name="removed"/> for each entry.</summary>
    public void Drain(List<QueueEntry> removed)
    {
        for (var i = _returned.Count - 1; i >= 0; i--)
        {
            removed.Add(_returned[i]);
        }
        _returned.Clear();
        while (_fresh.TryDequeue(out var entry))
        {
            removed.Add(entry);
        }
    }
}
