namespace Herald.Broker.Streams;

/// <summary>
/// Consumer groups of Redis streams: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM. Every change is
/// made under the stream's lock, written to the state log in one batch and answered once durable.
/// </summary>
public sealed partial class StreamStore
{

    /// <summary>XGROUP CREATE [MKSTREAM] [ENTRIESREAD].</summary>
    public async Task<StreamError> CreateGroupAsync(byte[] key, byte[] group, StreamGroupPosition position, bool mkStream, long? entriesRead)
    {
        var lookup = await GetOrCreateAsync(key, mkStream, CancellationToken.None);
        if (lookup.Stream is not { } s)
        {
            return lookup.Error == StreamError.None ? StreamError.NoSuchKey : lookup.Error;
        }
        Task durable;
        lock (s.Gate)
        {
            if (s.Groups.ContainsKey(group))
            {
                return StreamError.GroupExists;
            }
            var id = position.LastEntry ? s.LastId : position.Id;
            // Without ENTRIESREAD the counter is unknown (-1), as in Redis; lag is then estimated when asked.
            var g = new StreamGroup(group, Random.Shared.NextInt64(), id, entriesRead ?? -1);
            s.Groups[group] = g;
            durable = _state.Append([GroupRecord(s, g)]);
        }
        await durable;
        return StreamError.None;
    }

    /// <summary>XGROUP SETID [ENTRIESREAD].</summary>
    public async Task<StreamError> SetGroupIdAsync(byte[] key, byte[] group, StreamGroupPosition position, long? entriesRead)
    {
        if (!TryGet(key, out var s))
        {
            return StreamError.NoSuchKey;
        }
        Task durable;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return StreamError.NoGroup;
            }
            g.LastDelivered = position.LastEntry ? s.LastId : position.Id;
            g.EntriesRead = entriesRead ?? -1;
            durable = _state.Append([GroupRecord(s, g)]);
        }
        await durable;
        return StreamError.None;
    }

    /// <summary>XGROUP DESTROY: true when the group existed.</summary>
    public async Task<bool> DestroyGroupAsync(byte[] key, byte[] group)
    {
        if (!TryGet(key, out var s))
        {
            return false;
        }
        Task durable;
        lock (s.Gate)
        {
            if (!s.Groups.Remove(group))
            {
                return false;
            }
            durable = _state.Append([new(StreamStateRecords.GroupKey(s.Topic.Id, group), null)]);
        }
        await durable;
        Signal(key);
        return true;
    }

    /// <summary>XGROUP CREATECONSUMER: 1 when created, 0 when it existed.</summary>
    public async Task<(StreamError Error, long Created)> CreateConsumerAsync(byte[] key, byte[] group, byte[] consumer)
    {
        if (!TryGet(key, out var s))
        {
            return (StreamError.NoSuchKey, 0);
        }
        Task durable;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return (StreamError.NoGroup, 0);
            }
            var c = GetOrAddConsumer(g, consumer, Now, out var created);
            if (!created)
            {
                return (StreamError.None, 0);
            }
            durable = _state.Append([ConsumerRecord(s, g, c)]);
        }
        await durable;
        return (StreamError.None, 1);
    }

    /// <summary>XGROUP DELCONSUMER: the number of pending entries the consumer had (now dropped).</summary>
    public async Task<(StreamError Error, long Pending)> DeleteConsumerAsync(byte[] key, byte[] group, byte[] consumer)
    {
        if (!TryGet(key, out var s))
        {
            return (StreamError.NoSuchKey, 0);
        }
        Task durable;
        long pending;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return (StreamError.NoGroup, 0);
            }
            if (!g.Consumers.Remove(consumer, out var c))
            {
                return (StreamError.None, 0);
            }
            var changes = new List<KeyValuePair<byte[], byte[]?>>
            {
                new(StreamStateRecords.ConsumerKey(s.Topic.Id, g.Incarnation, g.Name, c.Name), null),
            };
            foreach (var id in c.Pending.Keys)
            {
                g.Pending.Remove(id);
                changes.Add(new(StreamStateRecords.PendingKey(s.Topic.Id, g.Incarnation, g.Name, id), null));
            }
            pending = c.Pending.Count;
            durable = _state.Append(changes);
        }
        await durable;
        return (StreamError.None, pending);
    }

    /// <summary>
    /// XREADGROUP on one key: <paramref name="from"/> null reads new entries (<c>&gt;</c>), adding them to the
    /// consumer's pending list unless <paramref name="noAck"/>; otherwise the consumer's own pending entries after
    /// that ID (history, deleted ones with null bodies). Answers when the state is durable.
    /// </summary>
    public async Task<StreamGroupReadResult> ReadGroupAsync(byte[] key, byte[] group, byte[] consumer, StreamId? from, long count, bool noAck)
    {
        var result = ReadGroup(key, group, consumer, from, count, noAck, out var durable);
        await durable;
        return result;
    }

    /// <summary>
    /// <see cref="ReadGroupAsync"/> without waiting: the read is made in memory before this returns, and
    /// <paramref name="durable"/> completes once the state it changed is durable (complete at once when it changed
    /// nothing that must survive). The caller must not answer before then.
    /// </summary>
    public StreamGroupReadResult ReadGroup(byte[] key, byte[] group, byte[] consumer, StreamId? from, long count, bool noAck,
        out Task durable)
    {
        durable = Task.CompletedTask;
        if (!TryGet(key, out var s))
        {
            return new StreamGroupReadResult(StreamError.NoGroup, null);
        }
        List<StreamEntry> entries;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return new StreamGroupReadResult(StreamError.NoGroup, null);
            }
            var now = Now;
            var c = GetOrAddConsumer(g, consumer, now, out var created);
            c.SeenTime = now;
            // The consumer's record is written when it is new or got entries (active time). A read that finds nothing
            // only moves its seen-time, which stays in memory (Redis too updates it without propagating anything),
            // so polling an idle stream writes nothing and waits for no fsync.
            var persistConsumer = created;
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            if (from is null)
            {
                entries = s.After(g.LastDelivered, count <= 0 ? -1 : count);
                foreach (var entry in entries)
                {
                    g.LastDelivered = entry.Id;
                    g.EntriesRead = g.EntriesRead >= 0 && !s.HasTombstonesFrom(entry.Id) ? g.EntriesRead + 1 : s.EstimateEntriesRead(entry.Id);
                    if (!noAck)
                    {
                        if (g.Pending.TryGetValue(entry.Id, out var previous))
                        {
                            previous.Consumer.Pending.Remove(entry.Id);
                        }
                        var pending = new PendingEntry(entry.Id, c, now, 1);
                        g.Pending[entry.Id] = pending;
                        c.Pending[entry.Id] = pending;
                        changes.Add(PendingRecord(s, g, pending));
                    }
                }
                if (entries.Count > 0)
                {
                    c.ActiveTime = now;
                    persistConsumer = true;
                    changes.Add(GroupRecord(s, g));
                }
            }
            else
            {
                entries = [];
                foreach (var (id, pending) in c.Pending)
                {
                    if (id <= from.Value)
                    {
                        continue;
                    }
                    if (count > 0 && entries.Count >= count)
                    {
                        break;
                    }
                    var fields = s.TryReadEntry(id);
                    entries.Add(new StreamEntry(id, fields));
                    if (fields is not null)
                    {
                        pending.DeliveryTime = now;
                        pending.DeliveryCount++;
                        changes.Add(PendingRecord(s, g, pending));
                    }
                }
            }
            if (persistConsumer)
            {
                changes.Add(ConsumerRecord(s, g, c));
            }
            durable = _state.Append(changes);
        }
        return new StreamGroupReadResult(StreamError.None, entries);
    }

    /// <summary>True when the key has the group (XREADGROUP checks every key before reading any).</summary>
    public bool HasGroup(ReadOnlySpan<byte> key, byte[] group)
    {
        if (!TryGet(key, out var s))
        {
            return false;
        }
        lock (s.Gate)
        {
            return s.Groups.ContainsKey(group);
        }
    }

    /// <summary>XACK: how many of <paramref name="ids"/> were pending and are now acknowledged.</summary>
    public async Task<long> AckAsync(byte[] key, byte[] group, IReadOnlyList<StreamId> ids)
    {
        var acked = Ack(key, group, ids, out var durable);
        await durable;
        return acked;
    }

    /// <summary><see cref="AckAsync"/> without waiting; answer once <paramref name="durable"/> completes.</summary>
    public long Ack(ReadOnlySpan<byte> key, byte[] group, IReadOnlyList<StreamId> ids, out Task durable)
    {
        durable = Task.CompletedTask;
        if (!TryGet(key, out var s))
        {
            return 0;
        }
        long acked = 0;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return 0;
            }
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            foreach (var id in ids)
            {
                if (g.Pending.Remove(id, out var pending))
                {
                    pending.Consumer.Pending.Remove(id);
                    changes.Add(new(StreamStateRecords.PendingKey(s.Topic.Id, g.Incarnation, g.Name, id), null));
                    acked++;
                }
            }
            durable = _state.Append(changes);
        }
        return acked;
    }

    /// <summary>XPENDING summary.</summary>
    public (StreamError Error, PendingSummary? Summary) PendingSummary(ReadOnlySpan<byte> key, byte[] group)
    {
        if (!TryGet(key, out var s))
        {
            return (StreamError.NoGroup, null);
        }
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return (StreamError.NoGroup, null);
            }
            var consumers = g.Consumers.Values.Where(c => c.Pending.Count > 0).Select(c => (c.Name, (long)c.Pending.Count)).ToList();
            return g.Pending.Count == 0
                ? (StreamError.None, new PendingSummary(0, default, default, consumers))
                : (StreamError.None, new PendingSummary(g.Pending.Count, g.Pending.First().Key, g.Pending.Last().Key, consumers));
        }
    }

    /// <summary>Extended XPENDING: entries in [start, end], at most count, optionally of one consumer and idle at least minIdle.</summary>
    public (StreamError Error, List<PendingInfo> Entries) Pending(ReadOnlySpan<byte> key, byte[] group, StreamId start, StreamId end,
        long count, byte[]? consumer, long minIdleMs)
    {
        if (!TryGet(key, out var s))
        {
            return (StreamError.NoGroup, []);
        }
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return (StreamError.NoGroup, []);
            }
            var result = new List<PendingInfo>();
            SortedDictionary<StreamId, PendingEntry>? source = g.Pending;
            if (consumer is not null)
            {
                source = g.Consumers.TryGetValue(consumer, out var c) ? c.Pending : null;
            }
            if (source is null || start > end)
            {
                return (StreamError.None, result);
            }
            var now = Now;
            foreach (var (id, pending) in source)
            {
                if (result.Count >= count || id > end)
                {
                    break;
                }
                var idle = Math.Max(0, now - pending.DeliveryTime);
                if (id >= start && idle >= minIdleMs)
                {
                    result.Add(new PendingInfo(id, pending.Consumer.Name, idle, pending.DeliveryCount));
                }
            }
            return (StreamError.None, result);
        }
    }

    /// <summary>XCLAIM.</summary>
    public async Task<StreamClaimResult> ClaimAsync(byte[] key, StreamClaimRequest request)
    {
        if (!TryGet(key, out var s))
        {
            return new StreamClaimResult(StreamError.NoGroup, [], default, []);
        }
        Task durable;
        var claimed = new List<StreamEntry>();
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(request.Group, out var g))
            {
                return new StreamClaimResult(StreamError.NoGroup, [], default, []);
            }
            var now = Now;
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            if (request.LastId is { } lastId && lastId > g.LastDelivered)
            {
                g.LastDelivered = lastId;
                changes.Add(GroupRecord(s, g));
            }
            var deliveryTime = request.TimeMs ?? (request.IdleMs is { } idle ? now - idle : now);
            var c = GetOrAddConsumer(g, request.Consumer, now, out _);
            c.SeenTime = now;
            foreach (var id in request.Ids)
            {
                g.Pending.TryGetValue(id, out var pending);
                var exists = s.Contains(id);
                if (pending is null && request.Force && exists)
                {
                    pending = new PendingEntry(id, c, now, 0);
                    g.Pending[id] = pending;
                    c.Pending[id] = pending;
                }
                if (pending is null)
                {
                    continue;
                }
                if (!exists)
                {
                    // Redis 7 drops a pending entry whose stream entry is gone instead of claiming it.
                    RemovePending(s, g, pending, changes);
                    continue;
                }
                if (request.MinIdleMs > 0 && now - pending.DeliveryTime < request.MinIdleMs)
                {
                    continue;
                }
                Claim(g, pending, c, deliveryTime, request.RetryCount, incrementCount: !request.JustId);
                changes.Add(PendingRecord(s, g, pending));
                claimed.Add(new StreamEntry(id, request.JustId ? null : s.TryReadEntry(id)));
            }
            if (claimed.Count > 0)
            {
                c.ActiveTime = now;
            }
            changes.Add(ConsumerRecord(s, g, c));
            durable = _state.Append(changes);
        }
        await durable;
        return new StreamClaimResult(StreamError.None, claimed, default, []);
    }

    /// <summary>XAUTOCLAIM: scans the group's pending list from <paramref name="start"/>, at most count*10 entries.</summary>
    public async Task<StreamClaimResult> AutoClaimAsync(byte[] key, byte[] group, byte[] consumer, long minIdleMs, StreamId start,
        long count, bool justId)
    {
        if (!TryGet(key, out var s))
        {
            return new StreamClaimResult(StreamError.NoGroup, [], default, []);
        }
        Task durable;
        var claimed = new List<StreamEntry>();
        var deleted = new List<StreamId>();
        StreamId next = StreamId.Min;
        lock (s.Gate)
        {
            if (!s.Groups.TryGetValue(group, out var g))
            {
                return new StreamClaimResult(StreamError.NoGroup, [], default, []);
            }
            var now = Now;
            var changes = new List<KeyValuePair<byte[], byte[]?>>();
            var c = GetOrAddConsumer(g, consumer, now, out _);
            c.SeenTime = now;
            var attempts = count * 10;
            var candidates = g.Pending.Where(p => p.Key >= start).Select(p => p.Value).ToList();
            var i = 0;
            // Redis's loop: deleted entries use up the count as claims do; too-young ones use up only attempts.
            var left = count;
            for (; i < candidates.Count && attempts > 0 && left > 0; i++)
            {
                attempts--;
                var pending = candidates[i];
                if (!s.Contains(pending.Id))
                {
                    RemovePending(s, g, pending, changes);
                    deleted.Add(pending.Id);
                    left--;
                    continue;
                }
                if (minIdleMs > 0 && now - pending.DeliveryTime < minIdleMs)
                {
                    continue;
                }
                Claim(g, pending, c, now, null, incrementCount: !justId);
                changes.Add(PendingRecord(s, g, pending));
                claimed.Add(new StreamEntry(pending.Id, justId ? null : s.TryReadEntry(pending.Id)));
                left--;
            }
            next = i < candidates.Count ? candidates[i].Id : StreamId.Min;
            if (claimed.Count > 0)
            {
                c.ActiveTime = now;
            }
            changes.Add(ConsumerRecord(s, g, c));
            durable = _state.Append(changes);
        }
        await durable;
        return new StreamClaimResult(StreamError.None, claimed, next, deleted);
    }

    private static void Claim(StreamGroup g, PendingEntry pending, StreamConsumer to, long deliveryTime, long? retryCount, bool incrementCount)
    {
        if (pending.Consumer != to)
        {
            pending.Consumer.Pending.Remove(pending.Id);
            pending.Consumer = to;
            to.Pending[pending.Id] = pending;
        }
        pending.DeliveryTime = deliveryTime;
        if (retryCount is { } retries)
        {
            pending.DeliveryCount = retries;
        }
        else if (incrementCount)
        {
            pending.DeliveryCount++;
        }
        _ = g;
    }

    private static void RemovePending(RedisStream s, StreamGroup g, PendingEntry pending, List<KeyValuePair<byte[], byte[]?>> changes)
    {
        g.Pending.Remove(pending.Id);
        pending.Consumer.Pending.Remove(pending.Id);
        changes.Add(new(StreamStateRecords.PendingKey(s.Topic.Id, g.Incarnation, g.Name, pending.Id), null));
    }

    private static StreamConsumer GetOrAddConsumer(StreamGroup g, byte[] name, long now, out bool created)
    {
        created = !g.Consumers.TryGetValue(name, out var consumer);
        if (consumer is null)
        {
            consumer = new StreamConsumer(name, now, -1);
            g.Consumers[name] = consumer;
        }
        return consumer;
    }

    private static KeyValuePair<byte[], byte[]?> GroupRecord(RedisStream s, StreamGroup g) =>
        new(StreamStateRecords.GroupKey(s.Topic.Id, g.Name), StreamStateRecords.GroupValue(g.Incarnation, g.LastDelivered, g.EntriesRead));

    private static KeyValuePair<byte[], byte[]?> ConsumerRecord(RedisStream s, StreamGroup g, StreamConsumer c) =>
        new(StreamStateRecords.ConsumerKey(s.Topic.Id, g.Incarnation, g.Name, c.Name), StreamStateRecords.ConsumerValue(c.SeenTime, c.ActiveTime));

    private static KeyValuePair<byte[], byte[]?> PendingRecord(RedisStream s, StreamGroup g, PendingEntry p) =>
        new(StreamStateRecords.PendingKey(s.Topic.Id, g.Incarnation, g.Name, p.Id),
            StreamStateRecords.PendingValue(p.DeliveryTime, p.DeliveryCount, p.Consumer.Name));
}
