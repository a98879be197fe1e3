using System.Buffers;
using System.Runtime.InteropServices;
using Herald.Broker.Exchanges;
using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Queues;

/// <summary>What became of a message offered to one queue.</summary>
public enum EnqueueOutcome
{
    Accepted,

    /// <summary>The queue is full and its overflow is reject-publish(-dlx), or its log refused the write: confirm with nack.</summary>
    Rejected,
}

/// <summary>
/// A queue (DESIGN.md sections 2 and 4): a log plus acknowledgement state. A durable queue appends every message as
/// a one-record batch to its own log (the id of a message is its offset) and keeps the settled ids in a
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
    private readonly RecordBatchBuilder? _builder;
    private readonly ArrayBufferWriter<byte> _encodeScratch = new(256);
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
        _builder = log is null ? null : new RecordBatchBuilder(1024);
        _clock = clock;
        _logger = logger;
        _levels = new ReadyLevel[settings.MaxPriority + 1];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new ReadyLevel();
        }
    }

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
    /// Offers a routed message. Returns when it is stored (written to the log for a durable queue);
    /// <paramref name="durable"/> completes when a persistent message is durable under the fsync policy.
    /// </summary>
    internal EnqueueOutcome Enqueue(Message message, byte[]? encodedHeaders, byte[]? encodedDeaths, out Task durable)
    {
        durable = Task.CompletedTask;
        List<QueueEntry>? dropped = null;
        var rejected = false;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (IsDeleted)
            {
                return EnqueueOutcome.Accepted; // deleted while routing: as if it had been delivered and dropped
            }
            if (Settings.Overflow != OverflowBehaviour.DropHead && IsFullFor(message.BodySize))
            {
                rejected = true;
            }
            else
            {
                long id;
                if (_log is not null)
                {
                    if (!TryAppend(message, encodedHeaders, encodedDeaths, out id, out var stored))
                    {
                        return EnqueueOutcome.Rejected;
                    }
                    if (message.Properties.Persistent)
                    {
                        durable = stored;
                    }
                }
                else
                {
                    id = _nextId++;
                }
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
                    dropped = DropOverflowLocked();
                }
                ArmTtlTimerLocked(now);
            }
        }
        if (rejected)
        {
            if (Settings.Overflow == OverflowBehaviour.RejectPublishDeadLetter)
            {
                PublishDeadLetter(message, DeathReason.MaxLength);
            }
            return EnqueueOutcome.Rejected;
        }
        if (dropped is not null)
        {
            DeadLetter(dropped, DeathReason.MaxLength);
        }
        Dispatch();
        return EnqueueOutcome.Accepted;
    }

    private bool TryAppend(Message message, byte[]? encodedHeaders, byte[]? encodedDeaths, out long id, out Task durable)
    {
        var batch = MessageRecordCodec.Encode(_builder!, _encodeScratch, message, encodedHeaders, encodedDeaths);
        try
        {
            // The builder's buffer is ours; the log stamps the base offset into it before writing.
            var appended = _log!.Append(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(batch), batch.Length));
            id = appended.BaseOffset.Value;
            durable = appended.Durable;
            return true;
        }
        catch (Exception e) when (e is StorageException or IOException)
        {
            _logger.LogWarning("Queue {Queue} refused a message: {Message}", Name, e.Message);
            id = -1;
            durable = Task.CompletedTask;
            return false;
        }
    }

    private bool IsFullFor(long bodySize) =>
        (Settings.MaxLength is { } maxLength && _readyCount >= maxLength) ||
        (Settings.MaxLengthBytes is { } maxBytes && _readyBytes + bodySize > maxBytes);

    private List<QueueEntry>? DropOverflowLocked()
    {
        List<QueueEntry>? dropped = null;
        while (_readyCount > 0 &&
               ((Settings.MaxLength is { } maxLength && _readyCount > maxLength) ||
                (Settings.MaxLengthBytes is { } maxBytes && _readyBytes > maxBytes)))
        {
            (dropped ??= []).Add(TakeReadyLocked()!);
        }
        return dropped;
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
