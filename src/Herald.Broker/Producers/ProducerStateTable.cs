namespace Herald.Broker.Producers;

/// <summary>What <see cref="ProducerStateTable.Check"/> decided about an idempotent batch.</summary>
public enum ProducerCheck
{
    /// <summary>In sequence: append it, then <see cref="ProducerStateTable.Record"/> it.</summary>
    Append,

    /// <summary>A retry of one of the last <see cref="ProducerStateTable.RetainedBatches"/> batches: answer with its offsets, append nothing.</summary>
    Duplicate,

    /// <summary>The batch's epoch is older than the producer's current one (Kafka INVALID_PRODUCER_EPOCH).</summary>
    InvalidEpoch,

    /// <summary>The first sequence does not follow the last one (Kafka OUT_OF_ORDER_SEQUENCE_NUMBER).</summary>
    OutOfOrderSequence,
}

/// <summary>A batch an idempotent producer wrote to the partition, kept to answer its retries.</summary>
public readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, Task Durable);

/// <summary>
/// One partition's idempotent-producer state, Kafka's <c>ProducerStateManager</c> without transactions: per producer
/// id the current epoch and the last <see cref="RetainedBatches"/> batches (sequence range and offsets). The rules
/// (kafka-compatibility.md section 5, Kafka's <c>ProducerAppendInfo.checkSequence</c>, <c>ProducerStateEntry</c>):
/// <list type="number">
/// <item>same epoch and the same first and last sequence as a retained batch: a duplicate, answered with the
/// original offsets;</item>
/// <item>an epoch older than the stored one: INVALID_PRODUCER_EPOCH;</item>
/// <item>a newer epoch must start at sequence 0;</item>
/// <item>the same epoch must continue at last sequence + 1, where <see cref="int.MaxValue"/> + 1 wraps to 0;</item>
/// <item>a producer with no state here (new, or its batches all removed by retention) may start at any sequence:
/// Kafka accepts this since KIP-360 instead of answering UNKNOWN_PRODUCER_ID.</item>
/// </list>
/// Entries of producers silent for <see cref="ExpirationMs"/> are dropped (Kafka's <c>producer.id.expiration.ms</c>).
///
/// Not thread-safe: the partition holds its producer lock across <see cref="Check"/>, the log append and
/// <see cref="Record"/>, so nothing interleaves between a check and the offsets it leads to.
/// </summary>
public sealed class ProducerStateTable
{
    /// <summary>Kafka's <c>ProducerStateEntry.NUM_BATCHES_TO_RETAIN</c>, also librdkafka's in-flight cap with idempotence.</summary>
    public const int RetainedBatches = 5;

    /// <summary>Kafka's default <c>producer.id.expiration.ms</c>: one day.</summary>
    public const long ExpirationMs = 24L * 60 * 60 * 1000;

    private const long SweepIntervalMs = 60 * 1000;

    private readonly Dictionary<long, Entry> _producers = [];
    private long _lastSweepMs;

    /// <summary>How many producers have state here.</summary>
    public int Count => _producers.Count;

    /// <summary>The sequence of a batch's last record: <paramref name="baseSequence"/> plus the last offset delta, wrapping past <see cref="int.MaxValue"/> to 0.</summary>
    public static int LastSequence(int baseSequence, int lastOffsetDelta) =>
        baseSequence > int.MaxValue - lastOffsetDelta
            ? lastOffsetDelta - (int.MaxValue - baseSequence) - 1
            : baseSequence + lastOffsetDelta;

    /// <summary>Decides what to do with a batch; for <see cref="ProducerCheck.Duplicate"/>, <paramref name="duplicate"/> is the original.</summary>
    public ProducerCheck Check(long producerId, short epoch, int firstSequence, int lastSequence, out ProducerBatch duplicate,
        out string? message)
    {
        duplicate = default;
        message = null;
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            return ProducerCheck.Append;
        }
        if (epoch == entry.Epoch && entry.TryFindBatch(firstSequence, lastSequence, out duplicate))
        {
            return ProducerCheck.Duplicate;
        }
        if (epoch < entry.Epoch)
        {
            message = $"Epoch {epoch} of producer {producerId} is older than its current epoch {entry.Epoch}.";
            return ProducerCheck.InvalidEpoch;
        }
        if (epoch > entry.Epoch)
        {
            if (firstSequence == 0)
            {
                return ProducerCheck.Append;
            }
            message = $"Invalid sequence number for new epoch {epoch} of producer {producerId}: {firstSequence} (expected 0).";
            return ProducerCheck.OutOfOrderSequence;
        }
        var last = entry.LastSequence;
        if (firstSequence == (last == int.MaxValue ? 0 : last + 1))
        {
            return ProducerCheck.Append;
        }
        message = $"Out of order sequence number for producer {producerId}: {firstSequence} (incoming seq. number), {last} (current end sequence number).";
        return ProducerCheck.OutOfOrderSequence;
    }

    /// <summary>Records an appended batch (or, while rebuilding from the log, a stored one) as the producer's newest.</summary>
    public void Record(long producerId, short epoch, ProducerBatch batch, long nowMs)
    {
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            entry = new Entry { Epoch = epoch };
            _producers.Add(producerId, entry);
        }
        entry.Add(epoch, batch);
        entry.LastWriteMs = nowMs;
        if (nowMs - _lastSweepMs >= SweepIntervalMs)
        {
            _lastSweepMs = nowMs;
            RemoveExpired(nowMs);
        }
    }

    /// <summary>The producer's current epoch here, or null when it has no state.</summary>
    public short? EpochOf(long producerId) => _producers.TryGetValue(producerId, out var entry) ? entry.Epoch : null;

    /// <summary>Drops producers that have not written for <see cref="ExpirationMs"/>.</summary>
    public void RemoveExpired(long nowMs)
    {
        List<long>? expired = null;
        foreach (var (id, entry) in _producers)
        {
            if (nowMs - entry.LastWriteMs >= ExpirationMs)
            {
                (expired ??= []).Add(id);
            }
        }
        foreach (var id in expired ?? [])
        {
            _producers.Remove(id);
        }
    }

    /// <summary>One producer: its epoch and a ring of its newest batches, oldest first.</summary>
    private sealed class Entry
    {
        private readonly ProducerBatch[] _batches = new ProducerBatch[RetainedBatches];
        private int _first;
        private int _count;

        public short Epoch { get; set; }

        public long LastWriteMs { get; set; }

        /// <summary>The last sequence of the newest batch, or -1 without batches in this epoch (then only 0 follows).</summary>
        public int LastSequence => _count == 0 ? -1 : _batches[(_first + _count - 1) % RetainedBatches].LastSequence;

        public void Add(short epoch, ProducerBatch batch)
        {
            if (epoch != Epoch)
            {
                // A new epoch starts a new sequence space: the old epoch's batches can no longer be retried.
                Epoch = epoch;
                _first = 0;
                _count = 0;
            }
            if (_count == RetainedBatches)
            {
                _batches[_first] = batch;
                _first = (_first + 1) % RetainedBatches;
            }
            else
            {
                _batches[(_first + _count) % RetainedBatches] = batch;
                _count++;
            }
        }

        public bool TryFindBatch(int firstSequence, int lastSequence, out ProducerBatch found)
        {
            for (var i = 0; i < _count; i++)
            {
                var batch = _batches[(_first + i) % RetainedBatches];
                if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
                {
                    found = batch;
                    return true;
                }
            }
            found = default;
            return false;
        }
    }
}
