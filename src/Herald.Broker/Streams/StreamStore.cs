using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Herald.Broker.Topics;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Streams;

/// <summary>
/// Every Redis stream key of the node (DESIGN.md section 2: a stream key is a single-partition Herald stream, seen
/// by Kafka clients as a topic). A key that is a legal Kafka topic name becomes a topic of the same name; any other
/// key (Redis keys are binary, Kafka names are <c>[a-zA-Z0-9._-]</c>) becomes <c>redis-stream.&lt;hash&gt;</c>, the
/// mapping persisted in the stream's state record. An existing one-partition topic is adopted by the first XADD.
///
/// Every change answers once durable under the fsync policy: entries through the topic's log, everything else
/// through <see cref="StreamStateLog"/>. Blocking readers wait on per-key signals (tasks, no thread per waiter),
/// completed when an XADD to the key becomes durable.
///
/// Thread-safety: the key table is guarded by <c>_table</c>; each stream by its own lock; creation and deletion
/// are serialized by an async lock. Lifetime: one per broker, loaded in StartAsync.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim needs disposing only once its AvailableWaitHandle is used; it never is.")]
public sealed partial class StreamStore
{
    private static readonly KeyValuePair<string, string?>[] StreamTopicConfigs =
    [
        new(TopicConfigCatalog.RetentionMs, "-1"),
        new(TopicConfigCatalog.RetentionBytes, "-1"),
    ];

    private readonly StorageEngine _storage;
    private readonly TopicRegistry _topics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly StreamStateLog _state;
    private readonly SemaphoreSlim _changeLock = new(1, 1);
    private readonly Lock _tableLock = new();
    private readonly Dictionary<byte[], RedisStream> _streams = new(ByteContentComparer.Instance);
    private readonly Lock _waitersLock = new();
    private readonly Dictionary<byte[], TaskCompletionSource> _waiters = new(ByteContentComparer.Instance);

    public StreamStore(StorageEngine storage, TopicRegistry topics, TimeProvider clock, ILogger<StreamStore> logger)
    {
        _storage = storage;
        _topics = topics;
        _clock = clock;
        _logger = logger;
        _state = new StreamStateLog(clock);
    }

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Number of stream keys (DBSIZE).</summary>
    public int Count
    {
        get
        {
            lock (_tableLock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Every key, in byte order (KEYS, SCAN).</summary>
    public List<byte[]> Keys()
    {
        lock (_tableLock)
        {
            var keys = _streams.Keys.ToList();
            keys.Sort(ByteOrder.Instance);
            return keys;
        }
    }

    public bool Exists(ReadOnlySpan<byte> key) => TryGet(key, out _);

    private bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out RedisStream? stream)
    {
        lock (_tableLock)
        {
            return _streams.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out stream);
        }
    }

    /// <summary>Opens the state log, replays it and rebuilds every stream's index from its topic's log.</summary>
    public Task LoadAsync(CancellationToken cancellationToken = default)
    {
        _state.Open(_storage);
        var records = _state.Replay();
        var metas = new Dictionary<Guid, StreamMeta>();
        var deleted = new Dictionary<Guid, List<long>>();
        foreach (var (key, value) in records)
        {
            if (!StreamStateRecords.TryReadPrefix(key, out var kind, out var topicId))
            {
                continue;
            }
            if (kind == StreamStateRecords.Stream && StreamStateRecords.ReadStreamValue(value) is { } meta)
            {
                metas[topicId] = meta;
            }
            else if (kind == StreamStateRecords.Deleted && key.Length == 25)
            {
                if (!deleted.TryGetValue(topicId, out var list))
                {
                    deleted[topicId] = list = [];
                }
                list.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(key.AsSpan(17)));
            }
        }
        var byTopic = new Dictionary<Guid, RedisStream>();
        foreach (var (topicId, meta) in metas)
        {
            if (!_topics.TryGet(topicId, out var topic) || topic.Partitions.Count != 1)
            {
                continue;
            }
            var stream = new RedisStream(meta.Key, topic, topic.Partitions[0]);
            WakeReadersOnNewData(stream);
            var sinceMeta = IndexLog(stream, meta.AsOfOffset);
            stream.Restore(meta, deleted.GetValueOrDefault(topicId) ?? [], sinceMeta);
            byTopic[topicId] = stream;
            _streams[meta.Key] = stream;
        }
        RestoreGroups(records, byTopic);
        _logger.LogInformation("Loaded {Count} Redis streams", _streams.Count);
        return Task.CompletedTask;
    }

    private static void RestoreGroups(Dictionary<byte[], byte[]> records, Dictionary<Guid, RedisStream> byTopic)
    {
        // Groups first, then consumers and pending entries of the groups' current incarnations.
        foreach (var pass in new[] { StreamStateRecords.Group, StreamStateRecords.Consumer, StreamStateRecords.Pending })
        {
            foreach (var (key, value) in records)
            {
                if (!StreamStateRecords.TryReadPrefix(key, out var kind, out var topicId) || kind != pass
                    || !byTopic.TryGetValue(topicId, out var stream)
                    || !StreamStateRecords.TryReadGroupScoped(key, kind != StreamStateRecords.Group, out var incarnation, out var name, out var rest))
                {
                    continue;
                }
                if (kind == StreamStateRecords.Group)
                {
                    if (value.Length == 32)
                    {
                        stream.Groups[name] = new StreamGroup(name, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value),
                            StreamId.ReadBinary(value.AsSpan(8)), System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(24)));
                    }
                    continue;
                }
                if (!stream.Groups.TryGetValue(name, out var group) || group.Incarnation != incarnation || value.Length < 16)
                {
                    continue;
                }
                var first = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value);
                var second = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(8));
                if (kind == StreamStateRecords.Consumer)
                {
                    var consumerName = rest.ToArray();
                    group.Consumers[consumerName] = new StreamConsumer(consumerName, first, second);
                }
                else if (rest.Length == 16)
                {
                    var consumer = GetOrAddConsumer(group, value.AsSpan(16).ToArray(), first, out _);
                    var entry = new PendingEntry(StreamId.ReadBinary(rest), consumer, first, second);
                    group.Pending[entry.Id] = entry;
                    consumer.Pending[entry.Id] = entry;
                }
            }
        }
    }

    /// <summary>Indexes every entry record of the stream's log; returns how many lie at or after <paramref name="since"/>.</summary>
    private static long IndexLog(RedisStream stream, long since)
    {
        var partition = stream.Partition;
        var next = partition.LogStartOffset;
        var buffer = new byte[256 * 1024];
        long counted = 0;
        while (next < partition.HighWatermark)
        {
            if (partition.TryRead(next, buffer.Length, out var slice) != TopicError.None)
            {
                break;
            }
            int whole;
            using (slice)
            {
                if (slice.IsEmpty)
                {
                    break;
                }
                if (buffer.Length < slice.Length)
                {
                    buffer = new byte[slice.Length];
                }
                if (Partition.TryCopy(slice, buffer, out whole) != TopicError.None)
                {
                    break;
                }
            }
            var p = 0;
            while (p < whole && RecordBatchHeader.TryRead(buffer.AsSpan(p, whole - p), out var header))
            {
                var size = (int)header.TotalSize;
                if ((header.Attributes & 0x7) == 0)
                {
                    var reader = new RecordReader(buffer.AsSpan(p + RecordBatch.HeaderSize, size - RecordBatch.HeaderSize));
                    while (reader.TryReadNext(out var record))
                    {
                        var offset = header.BaseOffset + record.OffsetDelta;
                        if (offset >= next.Value && StreamId.TryParse(record.Key, out var id, out var hasSeq) && hasSeq
                            && (stream.IndexCount == 0 || id > stream.LastId))
                        {
                            stream.IndexAppend(id, offset);
                            if (offset >= since)
                            {
                                counted++;
                            }
                        }
                    }
                }
                next = new Offset(header.LastOffset + 1);
                p += size;
            }
            if (p == 0)
            {
                break;
            }
        }
        return counted;
    }

    // ---- Entries --------------------------------------------------------------------------------------------

    /// <summary>XADD: creates the stream unless NOMKSTREAM, picks the ID, appends, trims; answers when durable.</summary>
    public async Task<StreamAddResult> AddAsync(byte[] key, StreamAddRequest request, CancellationToken cancellationToken = default)
    {
        var stream = await GetOrCreateAsync(key, create: !request.NoMkStream, cancellationToken);
        if (stream.Error != StreamError.None || stream.Stream is null)
        {
            return new StreamAddResult(stream.Error, null);
        }
        var result = AddTo(stream.Stream, request, out var durable);
        try
        {
            await durable;
        }
        catch (Exception e) when (e is Storage.Log.StorageException or IOException)
        {
            return new StreamAddResult(StreamError.Storage, null);
        }
        return result;
    }

    /// <summary>
    /// XADD to a stream that exists, without waiting: the entry is appended (its ID and order fixed) before this
    /// returns, and <paramref name="durable"/> completes once it (and any trim) is durable under the fsync policy, or
    /// faults when it cannot be. The caller must not acknowledge the entry before then; a connection pipelining many
    /// XADDs holds their replies until then (one fsync for the lot) instead of waiting after each. False, without
    /// doing anything, when the key holds no stream: <see cref="AddAsync"/> creates it or answers NOMKSTREAM.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> key, StreamAddRequest request, out StreamAddResult result, out Task durable)
    {
        if (!TryGet(key, out var s))
        {
            result = default;
            durable = Task.CompletedTask;
            return false;
        }
        result = AddTo(s, request, out durable);
        return true;
    }

    private StreamAddResult AddTo(RedisStream s, StreamAddRequest request, out Task durable)
    {
        durable = Task.CompletedTask;
        Task entryDurable;
        var stateDurable = Task.CompletedTask;
        StreamId id;
        lock (s.Gate)
        {
            if (!s.IsLive)
            {
                return new StreamAddResult(StreamError.NoSuchKey, null);
            }
            id = default;
            var error = s.LastId == StreamId.Max ? StreamError.IdExhausted : NextId(s, request, out id);
            if (error != StreamError.None)
            {
                return new StreamAddResult(error, null);
            }
            var (appendError, appended) = s.Append(id, request.FieldsAndValues);
            if (appendError != TopicError.None)
            {
                return new StreamAddResult(StreamError.Storage, null);
            }
            entryDurable = appended;
            if (request.Trim is { } trim)
            {
                var changes = new List<KeyValuePair<byte[], byte[]?>>();
                if (s.Trim(trim, changes) > 0 || changes.Count > 0)
                {
                    stateDurable = _state.Append(changes);
                }
            }
        }
        // Blocked readers wake from the log (WakeReadersOnNewData) once the entry is readable, so an XADD without a
        // trim needs nothing after its fsync: its durable task is the group commit's, shared by every append in it.
        durable = request.Trim is null ? entryDurable : AdvanceLogStartWhenDurableAsync(s, entryDurable, stateDurable);
        return new StreamAddResult(StreamError.None, id);
    }

    /// <summary>Once a trimming XADD and its trim are durable: lets the log drop what the trim made unreachable.</summary>
    private static async Task AdvanceLogStartWhenDurableAsync(RedisStream s, Task entryDurable, Task stateDurable)
    {
        await entryDurable.ConfigureAwait(false);
        await stateDurable.ConfigureAwait(false);
        lock (s.Gate)
        {
            s.AdvanceLogStart(force: false);
        }
    }

    /// <summary>
    /// Wakes the key's blocked readers whenever the stream's log makes new entries readable: once per group commit
    /// under fsync=always (from the fsync thread; waiters continue on the thread pool), at each append otherwise. One
    /// signal covers every entry the commit made durable, whichever protocol appended it.
    /// </summary>
    private void WakeReadersOnNewData(RedisStream stream)
    {
        var key = stream.Key;
        stream.Partition.Log.ReadableChanged += () => Signal(key);
    }

    /// <summary>Redis's ID rules for XADD (streamAppendItem).</summary>
    private StreamError NextId(RedisStream s, StreamAddRequest request, out StreamId id)
    {
        var last = s.LastId;
        switch (request.IdKind)
        {
            case StreamIdKind.Auto:
                var ms = (ulong)Math.Max(0, Now);
                if (ms > last.Ms)
                {
                    id = new StreamId(ms, 0);
                    return StreamError.None;
                }
                return last.TryIncrement(out id) ? StreamError.None : StreamError.IdExhausted;
            case StreamIdKind.AutoSequence:
                if (request.Id.Ms > last.Ms)
                {
                    id = new StreamId(request.Id.Ms, 0);
                    return StreamError.None;
                }
                if (request.Id.Ms == last.Ms && last.Seq != ulong.MaxValue)
                {
                    id = new StreamId(last.Ms, last.Seq + 1);
                    return StreamError.None;
                }
                id = default;
                return StreamError.IdNotGreater;
            default:
                id = request.Id;
                return id > last ? StreamError.None : StreamError.IdNotGreater;
        }
    }

    public long Length(ReadOnlySpan<byte> key)
    {
        if (!TryGet(key, out var s))
        {
            return 0;
        }
        lock (s.Gate)
        {
            return s.Length;
        }
    }

    /// <summary>XRANGE / XREVRANGE over inclusive bounds.</summary>
    public List<StreamEntry> Range(ReadOnlySpan<byte> key, StreamId start, StreamId end, long count, bool reverse)
    {
        if (!TryGet(key, out var s))
        {
            return [];
        }
        lock (s.Gate)
        {
            return s.Range(start, end, count, reverse);
        }
    }

    /// <summary>The stream's last ID (XREAD's <c>$</c>), or null without a stream.</summary>
    public StreamId? LastId(ReadOnlySpan<byte> key)
    {
        if (!TryGet(key, out var s))
        {
            return null;
        }
        lock (s.Gate)
        {
            return s.LastId;
        }
    }

    /// <summary>The last entry (XREAD's <c>+</c>), if any.</summary>
    public StreamEntry? LastEntry(ReadOnlySpan<byte> key)
    {
        if (!TryGet(key, out var s))
        {
            return null;
        }
        lock (s.Gate)
        {
            var last = s.Range(StreamId.Min, StreamId.Max, 1, reverse: true);
            return last.Count == 0 ? null : last[0];
        }
    }

    /// <summary>Entries after <paramref name="after"/> (XREAD).</summary>
    public List<StreamEntry> Read(ReadOnlySpan<byte> key, StreamId after, long count)
    {
        if (!TryGet(key, out var s))
        {
            return [];
        }
        lock (s.Gate)
        {
            return s.After(after, count);
        }
    }

    public async Task<long> DeleteEntriesAsync(byte[] key, IReadOnlyList<StreamId> ids)
    {
        if (!TryGet(key, out var s))
        {
            return 0;
        }
        Task durable;
        long deleted;
        lock (s.Gate)
        {
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            deleted = s.Delete(ids, changes);
            durable = _state.Append(changes);
        }
        await durable;
        return deleted;
    }

    public async Task<long> TrimAsync(byte[] key, StreamTrim trim)
    {
        if (!TryGet(key, out var s))
        {
            return 0;
        }
        Task durable;
        long removed;
        lock (s.Gate)
        {
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            removed = s.Trim(trim, changes);
            durable = _state.Append(changes);
        }
        await durable;
        lock (s.Gate)
        {
            s.AdvanceLogStart(force: false);
        }
        return removed;
    }

    /// <summary>XSETID with its ENTRIESADDED and MAXDELETEDID options.</summary>
    public async Task<StreamError> SetIdAsync(byte[] key, StreamId id, long? entriesAdded, StreamId? maxDeletedId)
    {
        if (!TryGet(key, out var s))
        {
            return StreamError.NoSuchKey;
        }
        Task durable;
        lock (s.Gate)
        {
            if (maxDeletedId is { } maxDeleted && id < maxDeleted)
            {
                return StreamError.MaxDeletedAboveId;
            }
            if (entriesAdded is { } added && s.Length > added)
            {
                return StreamError.EntriesAddedBelowLength;
            }
            if (s.Length > 0 && id < s.TopId)
            {
                return StreamError.SetIdBelowTop;
            }
            s.LastId = id;
            if (entriesAdded is { } newAdded)
            {
                s.EntriesAdded = newAdded;
            }
            if (maxDeletedId is { } newMaxDeleted)
            {
                s.MaxDeletedId = newMaxDeleted;
            }
            durable = _state.Append([s.MetaRecord()]);
        }
        await durable;
        return StreamError.None;
    }

    /// <summary>Runs <paramref name="inspect"/> under the stream's lock (XINFO); default when there is no stream.</summary>
    public T? Inspect<T>(ReadOnlySpan<byte> key, Func<RedisStream, T> inspect)
    {
        if (!TryGet(key, out var s))
        {
            return default;
        }
        lock (s.Gate)
        {
            return inspect(s);
        }
    }

    // ---- Keys -----------------------------------------------------------------------------------------------

    /// <summary>Result of looking a stream up for a write: the stream, or why there is none.</summary>
    private readonly record struct Lookup(StreamError Error, RedisStream? Stream);

    private async Task<Lookup> GetOrCreateAsync(byte[] key, bool create, CancellationToken cancellationToken)
    {
        if (TryGet(key, out var existing))
        {
            return new Lookup(StreamError.None, existing);
        }
        if (!create)
        {
            return new Lookup(StreamError.None, null);
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (TryGet(key, out existing))
            {
                return new Lookup(StreamError.None, existing);
            }
            var name = TopicNameFor(key);
            if (!_topics.TryGet(name, out var topic))
            {
                // Entry timestamps are the IDs' milliseconds, which explicit IDs may put anywhere (1-1 is 1970): time
                // retention would delete them. A stream shrinks only by XTRIM, MAXLEN/MINID and XDEL, as in Redis.
                var created = await _topics.CreateAsync(name, 1, StreamTopicConfigs, validateOnly: false, cancellationToken);
                if (created.Topic is null)
                {
                    _logger.LogWarning("Could not create the topic for Redis stream {Topic}: {Message}", name, created.Message);
                    return new Lookup(created.Error == TopicError.InvalidTopicName ? StreamError.WrongType : StreamError.Storage, null);
                }
                topic = created.Topic;
            }
            if (topic.Partitions.Count != 1)
            {
                return new Lookup(StreamError.WrongType, null);
            }
            var stream = new RedisStream(key, topic, topic.Partitions[0]);
            WakeReadersOnNewData(stream);
            IndexLog(stream, long.MaxValue);
            stream.EntriesAdded = stream.IndexCount;
            await _state.Append([stream.MetaRecord()]);
            lock (_tableLock)
            {
                _streams[key] = stream;
            }
            return new Lookup(StreamError.None, stream);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>The topic behind a key: the key itself when Kafka allows it as a name, else a stable hashed name.</summary>
    public static string TopicNameFor(ReadOnlySpan<byte> key)
    {
        var text = Encoding.UTF8.GetString(key);
        if (TopicNames.Check(text) is null && Encoding.UTF8.GetByteCount(text) == key.Length && !text.StartsWith("__", StringComparison.Ordinal))
        {
            return text;
        }
        return "redis-stream." + Convert.ToHexStringLower(SHA256.HashData(key)[..16]);
    }

    /// <summary>DEL / UNLINK: deletes the stream, its topic and its state; false when there was none.</summary>
    public async Task<bool> DeleteStreamAsync(byte[] key, CancellationToken cancellationToken = default)
    {
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (!TryGet(key, out var s))
            {
                return false;
            }
            Task durable;
            lock (s.Gate)
            {
                s.IsLive = false;
                s.Clear();
                durable = _state.Append([new(StreamStateRecords.StreamKey(s.Topic.Id), null)]);
            }
            lock (_tableLock)
            {
                _streams.Remove(key);
            }
            await durable;
            await _topics.DeleteAsync(s.Topic.Name, CancellationToken.None);
            Signal(key);
            return true;
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>FLUSHALL / FLUSHDB: deletes every stream; returns how many.</summary>
    public async Task<int> DeleteAllAsync(CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        foreach (var key in Keys())
        {
            if (await DeleteStreamAsync(key, cancellationToken))
            {
                deleted++;
            }
        }
        return deleted;
    }

    // ---- Blocking -------------------------------------------------------------------------------------------

    /// <summary>
    /// Completes at the next durable XADD to <paramref name="key"/> (or its deletion). Take it before checking for
    /// data, so an XADD between the check and the wait is not missed.
    /// </summary>
    public Task WhenChanged(byte[] key)
    {
        lock (_waitersLock)
        {
            if (!_waiters.TryGetValue(key, out var waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[key] = waiter;
            }
            return waiter.Task;
        }
    }

    private void Signal(byte[] key)
    {
        TaskCompletionSource? waiter;
        lock (_waitersLock)
        {
            if (!_waiters.Remove(key, out waiter))
            {
                return;
            }
        }
        waiter.TrySetResult();
    }
}
