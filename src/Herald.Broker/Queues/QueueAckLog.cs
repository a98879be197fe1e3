using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Broker.Queues;

/// <summary>
/// The persisted acknowledgement state of a durable queue (DESIGN.md section 4): an append-only log whose records
/// are either a delta (key <c>d</c>: ranges just settled) or a snapshot (key <c>s</c>: the floor and every range).
/// Replay applies them in order. Every <see cref="SnapshotEvery"/> deltas a snapshot is written and the log start
/// moved to it, so retention deletes the segments before it: the state stays small however long the queue lives.
/// Values are zig-zag varints: start, end pairs (a snapshot starts with the floor). Layout in docs/amqp-mapping.md.
///
/// Settlements are applied to <see cref="State"/> at once and written in groups: the owning queue calls
/// <see cref="WritePending"/> from a work item it schedules on the first settlement, so every ack that arrives while
/// that item waits shares one record (RabbitMQ's queue index also batches acks in a journal it does not fsync).
/// The log is written without fsync (policy Os): losing the last acknowledgements in a crash only redelivers
/// those messages (at-least-once), never loses one. Not thread-safe: the owning queue calls it under its lock.
/// </summary>
internal sealed class QueueAckLog
{
    internal const int SnapshotEvery = 4096;
    private static readonly byte[] DeltaKey = [(byte)'d'];
    private static readonly byte[] SnapshotKey = [(byte)'s'];

    private readonly PartitionLog _log;
    private readonly TimeProvider _clock;
    private readonly RecordBatchBuilder _builder = new(256);
    private byte[] _scratch = new byte[256];
    // Ranges settled but not yet written: zig-zag varint pairs, the last one still extendable.
    private byte[] _pending = new byte[256];
    private int _pendingLength;
    private int _pendingRanges;
    private int _lastPendingStartAt;
    private long _lastPendingStart;
    private long _lastPendingEnd;
    private int _deltasSinceSnapshot;

    public QueueAckLog(PartitionLog log, TimeProvider clock)
    {
        _log = log;
        _clock = clock;
    }

    public AckRanges State { get; } = new();

    /// <summary>Options for the acknowledgement log: small segments, no time retention, no fsync.</summary>
    public static LogOptions LogOptionsFor(LogOptions baseline) => baseline with
    {
        SegmentSizeBytes = 1024 * 1024,
        Fsync = FsyncPolicy.Os,
        RetentionTime = null,
        RetentionBytes = null,
        Cleanup = CleanupPolicy.Delete,
    };

    /// <summary>Replays the log into <see cref="State"/>.</summary>
    public void Load() =>
        _log.ReplayRecords(_log.LogStartOffset, (in RecordBatchHeader _, Record record) => Apply(record));

    /// <summary>True when settled ranges wait to be written (<see cref="WritePending"/>).</summary>
    public bool HasPending => _pendingLength > 0;

    /// <summary>
    /// Records ids just settled (sorted or not): <see cref="State"/> at once, the log later, by
    /// <see cref="WritePending"/>, so the acknowledgements of many basic.ack frames share one delta record.
    /// </summary>
    public void Settle(List<long> ids)
    {
        if (ids.Count == 0)
        {
            return;
        }
        ids.Sort();
        var i = 0;
        while (i < ids.Count)
        {
            var start = ids[i];
            var end = start + 1;
            i++;
            while (i < ids.Count && ids[i] <= end)
            {
                end = Math.Max(end, ids[i] + 1);
                i++;
            }
            State.Add(start, end);
            // Consecutive settlements (a consumer acking in order) extend the last pending range instead of adding one.
            if (_pendingLength > 0 && start == _lastPendingEnd && _pendingRanges > 0)
            {
                _pendingLength = _lastPendingStartAt;
                start = _lastPendingStart;
            }
            else
            {
                _pendingRanges++;
            }
            _lastPendingStartAt = _pendingLength;
            _lastPendingStart = start;
            _lastPendingEnd = end;
            _pendingLength = WritePair(_pendingLength, start, end);
        }
    }

    /// <summary>Writes the ranges settled since the last call as one delta record (and now and then a snapshot).</summary>
    public void WritePending()
    {
        if (_pendingLength == 0)
        {
            return;
        }
        var length = _pendingLength;
        _pendingLength = 0;
        _pendingRanges = 0;
        Append(DeltaKey, _pending, length);
        if (++_deltasSinceSnapshot >= SnapshotEvery)
        {
            WriteSnapshot();
        }
    }

    /// <summary>Writes the whole state as one record and drops the log before it.</summary>
    public void WriteSnapshot()
    {
        // The snapshot covers whatever was pending too.
        _pendingLength = 0;
        _pendingRanges = 0;
        var length = WriteVarLong(ref _scratch, 0, State.Floor);
        foreach (var (start, end) in State.Ranges)
        {
            length = WriteVarLong(ref _scratch, WriteVarLong(ref _scratch, length, start), end);
        }
        var offset = Append(SnapshotKey, _scratch, length);
        _deltasSinceSnapshot = 0;
        if (_log.HighWatermark.Value > offset)
        {
            _log.AdvanceLogStartOffset(new Offset(offset));
        }
    }

    private long Append(byte[] key, byte[] value, int valueLength)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        _builder.Reset(now);
        _builder.Add(0, now, key, keyIsNull: false, value.AsSpan(0, valueLength), valueIsNull: false, 0, default);
        // The builder's buffer is ours to hand over: the log stamps the base offset into it before writing.
        var appended = _log.Append(_builder.Build());
        return appended.BaseOffset.Value;
    }

    private void Apply(in Record record)
    {
        var value = record.Value;
        var p = 0;
        if (record.Key.SequenceEqual(SnapshotKey))
        {
            VarInt.TryReadLong(value, out var floor, out var n);
            p += n;
            var ranges = new List<(long, long)>();
            while (p < value.Length && TryReadPair(value, ref p, out var range))
            {
                ranges.Add(range);
            }
            State.Reset(floor, ranges);
            return;
        }
        while (p < value.Length && TryReadPair(value, ref p, out var range))
        {
            State.Add(range.Start, range.End);
        }
    }

    private static bool TryReadPair(ReadOnlySpan<byte> value, ref int p, out (long Start, long End) range)
    {
        range = default;
        if (!VarInt.TryReadLong(value[p..], out var start, out var n))
        {
            return false;
        }
        p += n;
        if (!VarInt.TryReadLong(value[p..], out var end, out n))
        {
            return false;
        }
        p += n;
        range = (start, end);
        return true;
    }

    private int WritePair(int length, long start, long end) =>
        WriteVarLong(ref _pending, WriteVarLong(ref _pending, length, start), end);

    private static int WriteVarLong(ref byte[] buffer, int length, long value)
    {
        if (buffer.Length - length < 10)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }
        return length + VarInt.Write(buffer.AsSpan(length), value);
    }
}
