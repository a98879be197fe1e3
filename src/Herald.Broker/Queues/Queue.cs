using System.Buffers;
using Herald.Broker.Exchanges;
using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Queues;

/// <summary>One routed message offered to one queue, and (filled in by <see cref="Queue.Enqueue"/>) what became of it.</summary>
internal struct QueueOffer
{
    /// <summary>Its place in the publish batch.</summary>
    public int Index;

    public Message Message;

    /// <summary>The application headers and death history encoded once for every queue's record (null when none).</summary>
    public byte[]? EncodedHeaders;

    public byte[]? EncodedDeaths;

    /// <summary>The queue is full and its overflow is reject-publish(-dlx), or its log refused the write: confirm with nack.</summary>
    public bool Rejected;

    /// <summary>Completes when the message is durable here (at once for a transient message or an in-memory queue).</summary>
    public Task Durable;
}

/// <summary>
/// A queue (DESIGN.md sections 2 and 4): a log plus acknowledgement state. A durable queue appends the messages of
/// one publish burst as one batch to its own log, a record each (the id of a message is its offset) and keeps the settled ids in a
/// <see cref="QueueAckLog"/>; a non-durable queue keeps messages in memory only, since nothing of it survives a
/// restart. Ready messages are indexed in memory per priority level; while the node's ready messages fit its
/// memory budget they are held whole, beyond it a durable queue keeps only a 24-byte slot (id, size; see ReadyLevel) and reads
/// the message back from its log near the head (<c>Queue.Paging.cs</c>). Delivered ones are held by the
/// <see cref="DeliverySession"/> that received them until settled or returned.
///
/// Concurrency: state changes under <c>_lock</c>; delivery to consumers runs outside it, by one dispatcher at a
/// time (<see cref="Dispatch"/>), so deliveries to a consumer keep queue order without a thread per queue.
/// The partial files split it by feature: consumers and delivery, settlement and dead-lettering, storage and
/// recovery, expiry.
/// </summary>
public sealed partial class Queue : IBindingDestination
{
    private const int DispatchBatch = 64;

    private readonly object _lock = new();
    private readonly VirtualHost _host;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ReadyLevel[] _levels;
    private readonly PartitionLog? _log;
    private readonly QueueAckLog? _acks;
    /// <summary>
    /// The most one append of a burst carries (a single larger message is still one batch): large enough that a burst
    /// of small publishes costs one write, small enough that the per-thread builder stays small.
    /// </summary>
    private const int MaxAppendBytes = 256 * 1024;

    // One per thread rather than per queue: used only under a queue's lock and finished before it is released, so a
    // node with many queues does not keep a grown buffer for each.
    [ThreadStatic]
    private static RecordBatchBuilder? t_batchBuilder;
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_recordScratch;
    private long _readyCount;
    private long _readyBytes;
    private long _unackedCount;
    private long _nextId;

    internal Queue(VirtualHost host, string name, Guid id, bool durable, object? owner, bool autoDelete,
        IReadOnlyDictionary<string, object?> arguments, QueueSettings settings, PartitionLog? log, QueueAckLog? acks,
        TimeProvider clock, ILogger logger)
    {
        _host = host;
        Name = name;
        Id = id;
        IsDurable = durable;
        Owner = owner;
        AutoDelete = autoDelete;
        Arguments = arguments;
        Settings = settings;
        _log = log;
        _acks = acks;
        _clock = clock;
        _logger = logger;
        _levels = new ReadyLevel[settings.MaxPriority + 1];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new ReadyLevel();
        }
    }

    private static RecordBatchBuilder BatchBuilder => t_batchBuilder ??= new RecordBatchBuilder(4096);

    private static ArrayBufferWriter<byte> RecordScratch => t_recordScratch ??= new ArrayBufferWriter<byte>(256);

    public string Name { get; }

    /// <summary>Names the queue's logs; a queue deleted and declared again gets a new id and so fresh logs.</summary>
    public Guid Id { get; }

    public bool IsDurable { get; }

    /// <summary>The connection an exclusive queue belongs to, or null for a shared queue.</summary>
    public object? Owner { get; }

    public bool IsExclusive => Owner is not null;

    public bool AutoDelete { get; }

    public IReadOnlyDictionary<string, object?> Arguments { get; }

    public QueueSettings Settings { get; }

    public bool IsDeleted { get; private set; }

    /// <summary>Ready messages (AMQP declare-ok message-count).</summary>
    public long MessageCount => Interlocked.Read(ref _readyCount);

    /// <summary>Delivered but not yet settled.</summary>
    public long UnackedCount => Interlocked.Read(ref _unackedCount);

    public long ReadyBytes => Interlocked.Read(ref _readyBytes);

    internal VirtualHost Host => _host;

    /// <summary>True when a redeclare with these settings is equivalent (AMQP: otherwise 406).</summary>
    public bool IsEquivalent(bool durable, bool exclusive, bool autoDelete, IReadOnlyDictionary<string, object?> arguments) =>
        IsDurable == durable && IsExclusive == exclusive && AutoDelete == autoDelete &&
        NeutralValue.TablesAreEquivalent(WithoutIgnored(Arguments), WithoutIgnored(arguments));

    /// <summary>x-queue-type classic and quorum are the same implementation here, so they are equivalent.</summary>
    private static Dictionary<string, object?> WithoutIgnored(IReadOnlyDictionary<string, object?> arguments)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in arguments)
        {
            if (key != "x-queue-type")
            {
                copy[key] = value;
            }
        }
        return copy;
    }

    /// <summary>
    /// Offers routed messages, in order, and fills in what became of each (<see cref="QueueOffer.Rejected"/>,
    /// <see cref="QueueOffer.Durable"/>). Returns when they are stored: a durable queue appends the messages it
    /// accepts to its log as one multi-record batch (one write and one CRC for a burst of publishes, split only above
    /// <see cref="MaxAppendBytes"/>), so they also share one durable task, which completes when the persistent ones
    /// are durable under the fsync policy. Each message is still judged on its own: with x-overflow reject-publish
    /// exactly the ones that find the queue full are refused, with drop-head the oldest go as each one is added.
    /// </summary>
    internal void Enqueue(Span<QueueOffer> offers)
    {
        List<QueueEntry>? dropped = null;
        List<Message>? refused = null;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (IsDeleted)
            {
                // Deleted while routing: as if they had been delivered and dropped.
                foreach (ref var offer in offers)
                {
                    offer.Rejected = false;
                    offer.Durable = Task.CompletedTask;
                }
                return;
            }
            var rejectsWhenFull = Settings.Overflow != OverflowBehaviour.DropHead;
            // Accepted messages waiting in the builder, not yet counted in _readyCount and _readyBytes.
            long pendingCount = 0;
            long pendingBytes = 0;
            var builder = _log is null ? null : BatchBuilder;
            builder?.Reset(0); // nothing left over from a call that failed half-way
            var batchStart = 0;
            for (var i = 0; i < offers.Length; i++)
            {
                ref var offer = ref offers[i];
                var message = offer.Message;
                offer.Durable = Task.CompletedTask;
                // Nothing leaves a reject-publish queue under this lock, so counting the accepted ones still in the
                // builder judges each message as if the earlier ones had been added one by one.
                offer.Rejected = rejectsWhenFull && IsFullFor(message.BodySize, pendingCount, pendingBytes);
                if (offer.Rejected)
                {
                    (refused ??= []).Add(message);
                    continue;
                }
                if (builder is null)
                {
                    AddLocked(message, _nextId++, now, ref dropped);
                    continue;
                }
                if (builder.RecordCount > 0 && builder.SizeInBytes + message.BodySize > MaxAppendBytes)
                {
                    AppendLocked(builder, offers[batchStart..i], now, ref dropped);
                    pendingCount = 0;
                    pendingBytes = 0;
                }
                if (builder.RecordCount == 0)
                {
                    builder.Reset(message.TimestampMilliseconds);
                    batchStart = i;
                }
                MessageRecordCodec.Add(builder, RecordScratch, message, offer.EncodedHeaders, offer.EncodedDeaths);
                pendingCount++;
                pendingBytes += message.BodySize;
            }
            if (builder is { RecordCount: > 0 })
            {
                AppendLocked(builder, offers[batchStart..], now, ref dropped);
            }
            ArmTtlTimerLocked(now);
        }
        if (refused is not null && Settings.Overflow == OverflowBehaviour.RejectPublishDeadLetter)
        {
            foreach (var message in refused)
            {
                PublishDeadLetter(message, DeathReason.MaxLength);
            }
        }
        if (dropped is not null)
        {
            DeadLetter(dropped, DeathReason.MaxLength);
        }
        Dispatch();
    }

    /// <summary>
    /// Appends the batch in <paramref name="builder"/>, which holds the accepted messages of <paramref name="offers"/>
    /// in order, and adds them to the ready messages with consecutive ids from the batch's base offset. When the log
    /// refuses the write, every one of them is refused (nack) and nothing is added.
    /// </summary>
    private void AppendLocked(RecordBatchBuilder builder, Span<QueueOffer> offers, long now, ref List<QueueEntry>? dropped)
    {
        var records = builder.RecordCount;
        var batch = builder.Build();
        AppendResult appended;
        try
        {
            // The builder's buffer is ours; the log stamps the base offset into it before writing.
            appended = _log!.Append(batch);
        }
        catch (Exception e) when (e is StorageException or IOException)
        {
            _logger.LogWarning("Queue {Queue} refused {Count} messages: {Message}", Name, records, e.Message);
            foreach (ref var offer in offers)
            {
                offer.Rejected = true;
            }
            return;
        }
        finally
        {
            builder.Reset(0);
            if (batch.Length > 4 * MaxAppendBytes)
            {
                t_batchBuilder = null; // grown by one large message: let it go rather than keep it for this thread
            }
        }
        var id = appended.BaseOffset.Value;
        foreach (ref var offer in offers)
        {
            if (offer.Rejected)
            {
                continue;
            }
            if (offer.Message.Properties.Persistent)
            {
                offer.Durable = appended.Durable;
            }
            AddLocked(offer.Message, id++, now, ref dropped);
        }
    }

    /// <summary>Adds a stored message to the ready ones (only its slot when over the memory budget), then drop-head.</summary>
    private void AddLocked(Message message, long id, long now, ref List<QueueEntry>? dropped)
    {
        var expiresAt = ExpiryOf(message.Properties.ExpirationMilliseconds, message.TimestampMilliseconds);
        if (_log is not null && _host.ReadyMemory.IsOverWith(message.BodySize))
        {
            // The log holds it: keep only its slot until it nears the head.
            AddPagedLocked(id, LevelOf(message.Properties.Priority), expiresAt, (int)message.BodySize);
        }
        else
        {
            AddReadyLocked(new QueueEntry(this, id, message, LevelOf(message.Properties.Priority), expiresAt));
        }
        if (Settings.Overflow == OverflowBehaviour.DropHead)
        {
            DropOverflowLocked(ref dropped);
        }
    }

    /// <summary>Whether a message of <paramref name="bodySize"/> finds the queue full, counting <paramref name="pendingCount"/> messages of <paramref name="pendingBytes"/> about to be added.</summary>
    private bool IsFullFor(long bodySize, long pendingCount, long pendingBytes) =>
        (Settings.MaxLength is { } maxLength && _readyCount + pendingCount >= maxLength) ||
        (Settings.MaxLengthBytes is { } maxBytes && _readyBytes + pendingBytes + bodySize > maxBytes);

    private void DropOverflowLocked(ref List<QueueEntry>? dropped)
    {
        while (_readyCount > 0 &&
               ((Settings.MaxLength is { } maxLength && _readyCount > maxLength) ||
                (Settings.MaxLengthBytes is { } maxBytes && _readyBytes > maxBytes)))
        {
            (dropped ??= []).Add(TakeReadyLocked()!);
        }
    }

    private int LevelOf(byte priority) => Math.Min(priority, _levels.Length - 1);

    private long ExpiryOf(long? messageExpiration, long enqueuedAt)
    {
        var ttl = long.MaxValue;
        if (Settings.MessageTtl is { } queueTtl)
        {
            ttl = (long)queueTtl.TotalMilliseconds;
        }
        if (messageExpiration is { } expiration)
        {
            ttl = Math.Min(ttl, expiration);
        }
        return ttl == long.MaxValue ? long.MaxValue : enqueuedAt + ttl;
    }

    private void AddReadyLocked(QueueEntry entry)
    {
        _levels[entry.Level].Add(entry);
        _readyCount++;
        _readyBytes += entry.Message.BodySize;
        _host.ReadyMemory.Add(entry.Message.BodySize);
    }

    private void AddPagedLocked(long id, int level, long expiresAt, int bodySize)
    {
        _levels[level].AddPaged(id, expiresAt, bodySize);
        _readyCount++;
        _readyBytes += bodySize;
    }

    private void ReturnReadyLocked(QueueEntry entry)
    {
        _levels[entry.Level].Return(entry);
        _readyCount++;
        _readyBytes += entry.Message.BodySize;
        _host.ReadyMemory.Add(entry.Message.BodySize);
    }

    /// <summary>The head of the highest non-empty priority level, removed (read back from the log if paged out).</summary>
    private QueueEntry? TakeReadyLocked()
    {
        for (var level = _levels.Length - 1; level >= 0; level--)
        {
            if (TakeFromLevelLocked(level) is { } entry)
            {
                return entry;
            }
        }
        return null;
    }

    private QueueEntry? TakeFromLevelLocked(int level)
    {
        var ready = _levels[level];
        if (ready.HeadIsPaged)
        {
            PageInLocked(level);
        }
        if (ready.Take() is not { } entry)
        {
            return null;
        }
        _readyCount--;
        _readyBytes -= entry.Message.BodySize;
        _host.ReadyMemory.Add(-entry.Message.BodySize);
        return entry;
    }

    /// <summary>Removes every ready message (AMQP queue.purge); delivered ones stay with their consumers.</summary>
    public long Purge()
    {
        var removed = new List<long>();
        lock (_lock)
        {
            DrainReadyLocked(removed);
            SettleIdsLocked(removed);
        }
        return removed.Count;
    }

    /// <summary>Empties every level without reading paged-out messages back; their ids go to <paramref name="ids"/>.</summary>
    private void DrainReadyLocked(List<long> ids)
    {
        long inMemoryBytes = 0;
        foreach (var level in _levels)
        {
            inMemoryBytes += level.Drain(ids);
        }
        _host.ReadyMemory.Add(-inMemoryBytes);
        _readyCount = 0;
        _readyBytes = 0;
    }

    public override string ToString() => $"queue '{Name}' in vhost '{_host.Name}'";
}
