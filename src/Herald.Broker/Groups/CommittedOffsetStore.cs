using System.Buffers.Binary;
using System.Text;
using Herald.Primitives.Records;
using Herald.Storage;
using Herald.Storage.Log;

namespace Herald.Broker.Groups;

/// <summary>One committed position: the next offset to consume, the client's metadata string, and when it was committed.</summary>
public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestamp);

/// <summary>A commit or a deletion of one partition's position; a null <see cref="Offset"/> deletes.</summary>
public readonly record struct OffsetChange(string Topic, int Partition, CommittedOffset? Offset);

/// <summary>What the store remembers of a group between restarts, for offset retention: its protocol type and since
/// when (Unix ms) it has had no members, or null while it had members when last recorded.</summary>
public readonly record struct StoredGroupState(string ProtocolType, long? EmptySince);

/// <summary>
/// Consumer groups' committed offsets, kept in the internal compacted log <see cref="LogName"/>: one record per
/// commit, key = (group, topic, partition), value = offset, leader epoch, commit time and metadata; a null value
/// deletes. A second kind of record, key = (group), keeps the group's <see cref="StoredGroupState"/> so that offset
/// retention (which counts from when a group became empty) gives the same answer after a restart. At start the log
/// is replayed into memory. A commit is answered once its batch is durable under the
/// storage engine's fsync policy, so an acknowledged commit survives a crash as a produced record does.
///
/// Thread-safety: any number of commits may run at once. Appends are serialized by a lock (the batch builder is
/// shared); the in-memory view is updated after durability, and a change only replaces a newer-in-log one never,
/// because each entry remembers the log offset it came from. Lifetime: one per broker, loaded in StartAsync.
/// </summary>
public sealed class CommittedOffsetStore
{
    /// <summary>The internal log's name (not a topic: no Kafka client can see it).</summary>
    public const string LogName = "__consumer_offsets";

    private const byte FormatVersion = 1;

    /// <summary>First key byte of group-state records; offset keys start with <see cref="FormatVersion"/>.</summary>
    private const byte GroupStateKeyVersion = 2;

    private readonly StorageEngine _storage;
    private readonly TimeProvider _clock;
    private readonly Lock _appendLock = new();
    private readonly Lock _gate = new();
    private readonly RecordBatchBuilder _builder = new();
    private readonly Dictionary<string, Dictionary<(string Topic, int Partition), Entry>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (StoredGroupState State, long LogOffset)> _groupStates = new(StringComparer.Ordinal);

    /// <summary>Per group: appends so far (the version) and how many still wait for durability; guarded by _gate.</summary>
    private readonly Dictionary<string, GroupWrites> _writes = new(StringComparer.Ordinal);
    private PartitionLog? _log;

    public CommittedOffsetStore(StorageEngine storage, TimeProvider clock)
    {
        _storage = storage;
        _clock = clock;
    }

    /// <summary>True once <see cref="Load"/> has replayed the log; until then group operations must be refused.</summary>
    public bool IsLoaded => Volatile.Read(ref _log) is not null;

    /// <summary>Opens the internal log (creating it on first start) and replays it into memory.</summary>
    public void Load()
    {
        var options = _storage.DefaultLogOptions with
        {
            Cleanup = CleanupPolicy.Compact,
            RetentionTime = null,
            RetentionBytes = null,
            SegmentSizeBytes = 64L * 1024 * 1024,
        };
        var log = _storage.OpenLog(LogName, options);
        Replay(log);
        Volatile.Write(ref _log, log);
    }

    /// <summary>Group ids with at least one committed offset.</summary>
    public IReadOnlyList<string> GroupIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _groups.Keys];
            }
        }
    }

    public CommittedOffset? Get(string groupId, string topic, int partition)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(groupId, out var offsets) && offsets.TryGetValue((topic, partition), out var entry)
                ? entry.Offset
                : null;
        }
    }

    /// <summary>Every committed offset of the group, ordered by topic and partition.</summary>
    public IReadOnlyList<(string Topic, int Partition, CommittedOffset Offset)> GetAll(string groupId)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue(groupId, out var offsets))
            {
                return [];
            }
            return [.. offsets.OrderBy(e => e.Key.Topic, StringComparer.Ordinal).ThenBy(e => e.Key.Partition)
                .Select(e => (e.Key.Topic, e.Key.Partition, e.Value.Offset))];
        }
    }

    /// <summary>
    /// Stores <paramref name="changes"/> of one group in one record batch (atomic across a crash) and completes when
    /// the batch is durable; readers see the changes from then on.
    /// </summary>
    public async Task WriteAsync(string groupId, IReadOnlyList<OffsetChange> changes)
    {
        if (changes.Count > 0)
        {
            await WriteIfUnchangedAsync(groupId, changes, expectedVersion: null);
        }
    }

    /// <summary>
    /// The group's write version (bumped by every append of the group's records) when none of its appends is still
    /// waiting for durability, else null. With <see cref="WriteIfUnchangedAsync"/> it makes a read-then-write (offset
    /// expiry) safe against commits that land in between: what <see cref="GetAll"/> shows after this call is all
    /// that was written up to that version.
    /// </summary>
    public long? StableVersion(string groupId)
    {
        lock (_gate)
        {
            _writes.TryGetValue(groupId, out var writes);
            return writes.Pending == 0 ? writes.Version : null;
        }
    }

    /// <summary>
    /// Like <see cref="WriteAsync"/>, but when <paramref name="expectedVersion"/> is given only if the group's version is
    /// still that (nothing of the group was appended since <see cref="StableVersion"/>); false when it was not written.
    /// </summary>
    public Task<bool> WriteIfUnchangedAsync(string groupId, IReadOnlyList<OffsetChange> changes, long? expectedVersion) =>
        AppendAndApplyAsync(groupId, changes, versioned: true, expectedVersion,
            static (groupId, change) =>
                (EncodeKey(groupId, change.Topic, change.Partition), change.Offset is { } offset ? EncodeValue(offset) : null),
            static (store, groupId, change, logOffset) => store.Apply(groupId, change.Topic, change.Partition, change.Offset, logOffset));

    /// <summary>The group's last recorded state, if any (see <see cref="RecordGroupStateAsync"/>).</summary>
    public StoredGroupState? GetGroupState(string groupId)
    {
        lock (_gate)
        {
            return _groupStates.TryGetValue(groupId, out var stored) ? stored.State : null;
        }
    }

    /// <summary>
    /// Records the group's protocol type and whether (since when) it is empty, or with a null state forgets the group
    /// (a tombstone). The append happens before this returns, so records of one group land in call order; the task
    /// completes when the record is durable.
    /// </summary>
    public Task RecordGroupStateAsync(string groupId, StoredGroupState? state) =>
        AppendAndApplyAsync<StoredGroupState?>(groupId, [state], versioned: false, expectedVersion: null,
            static (groupId, state) => (EncodeGroupStateKey(groupId), state is { } s ? EncodeGroupStateValue(s) : null),
            static (store, groupId, state, logOffset) => store.ApplyGroupState(groupId, state, logOffset));

    /// <summary>
    /// Appends one record per item as one batch under the append lock (synchronously, before the first await, so
    /// callers' order is log order), waits for durability, then applies each item to the in-memory view. Returns false
    /// without appending when <paramref name="expectedVersion"/> is given and the group's version moved on. Only
    /// <paramref name="versioned"/> writes (offsets, not group-state records) move the version.
    /// </summary>
    private async Task<bool> AppendAndApplyAsync<T>(string groupId, IReadOnlyList<T> items, bool versioned, long? expectedVersion,
        Func<string, T, (byte[] Key, byte[]? Value)> encode, Action<CommittedOffsetStore, string, T, long> apply)
    {
        var log = Volatile.Read(ref _log) ?? throw new InvalidOperationException("The committed offset store is not loaded.");
        AppendResult appended;
        lock (_appendLock)
        {
            lock (_gate)
            {
                _writes.TryGetValue(groupId, out var current);
                if (expectedVersion is { } expected && current.Version != expected)
                {
                    return false;
                }
            }
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            _builder.Reset(now);
            foreach (var item in items)
            {
                var (key, value) = encode(groupId, item);
                _builder.Add(_builder.RecordCount, now, key, keyIsNull: false, value, valueIsNull: value is null,
                    headerCount: 0, encodedHeaders: default);
            }
            appended = log.Append(_builder.Build().ToArray());
            if (versioned)
            {
                lock (_gate)
                {
                    _writes.TryGetValue(groupId, out var writes);
                    _writes[groupId] = new GroupWrites(writes.Version + 1, writes.Pending + 1);
                }
            }
        }
        try
        {
            await appended.Durable;
            lock (_gate)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    apply(this, groupId, items[i], appended.BaseOffset.Value + i);
                }
            }
        }
        finally
        {
            if (versioned)
            {
                lock (_gate)
                {
                    var writes = _writes[groupId];
                    _writes[groupId] = writes with { Pending = writes.Pending - 1 };
                }
            }
        }
        return true;
    }

    /// <summary>Deletes every committed offset of the group (DeleteGroups).</summary>
    public Task DeleteGroupAsync(string groupId)
    {
        var changes = GetAll(groupId).Select(e => new OffsetChange(e.Topic, e.Partition, null)).ToList();
        var offsets = WriteAsync(groupId, changes);
        return GetGroupState(groupId) is null ? offsets : Task.WhenAll(offsets, RecordGroupStateAsync(groupId, null));
    }

    private void Apply(string groupId, string topic, int partition, CommittedOffset? offset, long logOffset)
    {
        if (!_groups.TryGetValue(groupId, out var offsets))
        {
            if (offset is null)
            {
                return;
            }
            offsets = [];
            _groups[groupId] = offsets;
        }
        var key = (topic, partition);
        if (offsets.TryGetValue(key, out var existing) && existing.LogOffset > logOffset)
        {
            // A later commit of the same partition became durable first: it wins, as it will after replay.
            return;
        }
        if (offset is { } value)
        {
            offsets[key] = new Entry(value, logOffset);
        }
        else
        {
            offsets.Remove(key);
            if (offsets.Count == 0)
            {
                _groups.Remove(groupId);
            }
        }
    }

    private void ApplyGroupState(string groupId, StoredGroupState? state, long logOffset)
    {
        if (_groupStates.TryGetValue(groupId, out var existing) && existing.LogOffset > logOffset)
        {
            return;
        }
        if (state is { } value)
        {
            _groupStates[groupId] = (value, logOffset);
        }
        else
        {
            _groupStates.Remove(groupId);
        }
    }

    private void Replay(PartitionLog log)
    {
        lock (_gate)
        {
            log.ReplayRecords(log.LogStartOffset, (in RecordBatchHeader header, Record record) =>
            {
                var offset = header.BaseOffset + record.OffsetDelta;
                if (TryDecodeGroupStateKey(record.Key, out var stateGroupId))
                {
                    var state = record.ValueIsNull ? null : TryDecodeGroupStateValue(record.Value);
                    if (record.ValueIsNull || state is not null)
                    {
                        ApplyGroupState(stateGroupId, state, offset);
                    }
                    return;
                }
                if (!TryDecodeKey(record.Key, out var groupId, out var topic, out var partition))
                {
                    return;
                }
                CommittedOffset? value = record.ValueIsNull ? null : TryDecodeValue(record.Value);
                if (record.ValueIsNull || value is not null)
                {
                    Apply(groupId, topic, partition, value, offset);
                }
            });
        }
    }

    /// <summary>Key layout: version byte, group (u16 length + UTF-8), topic (u16 length + UTF-8), partition (i32 BE).</summary>
    internal static byte[] EncodeKey(string groupId, string topic, int partition)
    {
        var group = Encoding.UTF8.GetBytes(groupId);
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var key = new byte[1 + 2 + group.Length + 2 + topicBytes.Length + 4];
        key[0] = FormatVersion;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)group.Length);
        group.CopyTo(key, 3);
        var p = 3 + group.Length;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(p), (ushort)topicBytes.Length);
        topicBytes.CopyTo(key, p + 2);
        BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(p + 2 + topicBytes.Length), partition);
        return key;
    }

    internal static bool TryDecodeKey(ReadOnlySpan<byte> key, out string groupId, out string topic, out int partition)
    {
        groupId = topic = "";
        partition = -1;
        if (key.Length < 9 || key[0] != FormatVersion)
        {
            return false;
        }
        int groupLength = BinaryPrimitives.ReadUInt16BigEndian(key[1..]);
        if (key.Length < 3 + groupLength + 2 + 4)
        {
            return false;
        }
        groupId = Encoding.UTF8.GetString(key.Slice(3, groupLength));
        var p = 3 + groupLength;
        int topicLength = BinaryPrimitives.ReadUInt16BigEndian(key[p..]);
        if (key.Length != p + 2 + topicLength + 4)
        {
            return false;
        }
        topic = Encoding.UTF8.GetString(key.Slice(p + 2, topicLength));
        partition = BinaryPrimitives.ReadInt32BigEndian(key[(p + 2 + topicLength)..]);
        return true;
    }

    /// <summary>Value layout: version byte, offset (i64), leader epoch (i32), commit time (i64 ms), metadata (i32 length, -1 = null, + UTF-8).</summary>
    internal static byte[] EncodeValue(CommittedOffset offset)
    {
        var metadata = offset.Metadata is null ? null : Encoding.UTF8.GetBytes(offset.Metadata);
        var value = new byte[1 + 8 + 4 + 8 + 4 + (metadata?.Length ?? 0)];
        value[0] = FormatVersion;
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(1), offset.Offset);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(9), offset.LeaderEpoch);
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(13), offset.CommitTimestamp);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(21), metadata?.Length ?? -1);
        metadata?.CopyTo(value, 25);
        return value;
    }

    internal static CommittedOffset? TryDecodeValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 25 || value[0] != FormatVersion)
        {
            return null;
        }
        var metadataLength = BinaryPrimitives.ReadInt32BigEndian(value[21..]);
        if (metadataLength < -1 || value.Length != 25 + Math.Max(metadataLength, 0))
        {
            return null;
        }
        return new CommittedOffset(
            BinaryPrimitives.ReadInt64BigEndian(value[1..]),
            BinaryPrimitives.ReadInt32BigEndian(value[9..]),
            metadataLength < 0 ? null : Encoding.UTF8.GetString(value.Slice(25, metadataLength)),
            BinaryPrimitives.ReadInt64BigEndian(value[13..]));
    }

    /// <summary>Group-state key layout: version byte 2, group (u16 length + UTF-8).</summary>
    internal static byte[] EncodeGroupStateKey(string groupId)
    {
        var group = Encoding.UTF8.GetBytes(groupId);
        var key = new byte[3 + group.Length];
        key[0] = GroupStateKeyVersion;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)group.Length);
        group.CopyTo(key, 3);
        return key;
    }

    private static bool TryDecodeGroupStateKey(ReadOnlySpan<byte> key, out string groupId)
    {
        groupId = "";
        if (key.Length < 3 || key[0] != GroupStateKeyVersion || key.Length != 3 + BinaryPrimitives.ReadUInt16BigEndian(key[1..]))
        {
            return false;
        }
        groupId = Encoding.UTF8.GetString(key[3..]);
        return true;
    }

    /// <summary>Group-state value layout: version byte 1, empty since (i64 Unix ms, -1 = has members), protocol type (u16 length + UTF-8).</summary>
    private static byte[] EncodeGroupStateValue(StoredGroupState state)
    {
        var protocolType = Encoding.UTF8.GetBytes(state.ProtocolType);
        var value = new byte[1 + 8 + 2 + protocolType.Length];
        value[0] = FormatVersion;
        BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(1), state.EmptySince ?? -1);
        BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(9), (ushort)protocolType.Length);
        protocolType.CopyTo(value, 11);
        return value;
    }

    private static StoredGroupState? TryDecodeGroupStateValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 11 || value[0] != FormatVersion || value.Length != 11 + BinaryPrimitives.ReadUInt16BigEndian(value[9..]))
        {
            return null;
        }
        var emptySince = BinaryPrimitives.ReadInt64BigEndian(value[1..]);
        return new StoredGroupState(Encoding.UTF8.GetString(value[11..]), emptySince < 0 ? null : emptySince);
    }

    private readonly record struct GroupWrites(long Version, int Pending);

    private readonly record struct Entry(CommittedOffset Offset, long LogOffset);
}
