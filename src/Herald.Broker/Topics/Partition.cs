using System.Buffers;
using Herald.Broker.Producers;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Broker.Topics;

/// <summary>
/// The outcome of <see cref="Partition.Append"/>. On success the batch is accepted: its offsets are fixed and it
/// is in the log. <see cref="Durable"/> completes when it is durable under the log's fsync policy, or faults if the
/// log goes offline first (the second phase of produce, DESIGN.md section 5). <see cref="LogAppendTime"/> is the
/// stamped timestamp on LogAppendTime topics, else -1.
/// </summary>
public readonly record struct PartitionAppendResult(
    TopicError Error, string? Message, Offset BaseOffset, long LogAppendTime, Offset LogStartOffset, Task Durable)
{
    public static PartitionAppendResult Failed(TopicError error, string? message) =>
        new(error, message, new Offset(-1), -1, new Offset(-1), Task.CompletedTask);
}

/// <summary>
/// One partition of a topic: a log named <c>&lt;topic&gt;-&lt;index&gt;</c> plus what the broker adds on top of
/// it: produce validation (<see cref="RecordBatchValidator"/>), an async signal readers can wait on for new data
/// (long-polling fetches wait on it instead of holding a thread each), and the max-timestamp lookup.
///
/// Thread-safety: any number of threads may append, read and wait at once. Appends are serialized by the log (its
/// single writer lock), so batches are stored in the order their appends reach it. Lifetime: created by
/// <see cref="TopicRegistry"/> when the topic is created or loaded; the log belongs to the storage engine.
/// </summary>
public sealed class Partition
{
    /// <summary>The leader epoch stamped into stored batches: none.</summary>
    public const int NoLeaderEpoch = -1;

    /// <summary>How much of a log's tail the producer state is rebuilt from after a start (see <see cref="LoadProducerState"/>).</summary>
    public const long ProducerStateScanBytes = 128L * 1024 * 1024;

    /// <summary>The offset DeleteRecords reads as "up to the high watermark" (Kafka's <c>HIGH_WATERMARK</c>).</summary>
    public const long DeleteToHighWatermark = -1;

    private readonly PartitionLog _log;
    private readonly TimeProvider _clock;
    private readonly Lock _maxTimestampLock = new();
    private readonly Lock _producerLock = new();
    // Idempotent producers' sequences; built from the log on the first idempotent append, guarded by _producerLock.
    private ProducerStateTable? _producers;
    private TaskCompletionSource _dataArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _scannedMaxTimestamp = RecordBatch.NoTimestamp;
    private long _maxTimestampScanEnd = -1;

    internal Partition(Topic topic, int index, PartitionLog log, TimeProvider clock)
    {
        Topic = topic;
        Index = index;
        _log = log;
        _clock = clock;
        // The log says when its high watermark moves: once per group commit, from the fsync thread that made the
        // data durable, so a waiting fetch is one thread-pool hop away from the fsync, whatever the append rate.
        log.ReadableChanged += SignalDataArrived;
    }

    public Topic Topic { get; }

    public int Index { get; }

    /// <summary>The storage log's name for partition <paramref name="index"/> of <paramref name="topic"/>.</summary>
    public static string LogName(string topic, int index) => $"{topic}-{index}";

    /// <summary>First readable offset (moves with retention).</summary>
    public Offset LogStartOffset => _log.LogStartOffset;

    /// <summary>One past the last offset readers may see (durable under the fsync policy).</summary>
    public Offset HighWatermark => _log.HighWatermark;

    /// <summary>One past the last appended offset, durable or not.</summary>
    public Offset LogEndOffset => _log.NextOffset;

    /// <summary>
    /// Completes the next time the high watermark moves (the log's <see cref="PartitionLog.ReadableChanged"/>; waiters
    /// continue on the thread pool, never on the fsync thread that raised it). Take the task <em>before</em> checking
    /// the high watermark: an append that lands between the check and taking the task would otherwise go unnoticed
    /// until the next one.
    /// </summary>
    public Task DataArrived => Volatile.Read(ref _dataArrived).Task;

    /// <summary>
    /// Validates one produced batch and appends it, rewriting its base offset (and for LogAppendTime topics its
    /// timestamp and CRC) in <paramref name="batch"/>, which must be the caller's own writable copy. Nothing is
    /// stored when the result carries an error.
    /// </summary>
    public PartitionAppendResult Append(Span<byte> batch)
    {
        var configs = Topic.Configs;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var error = RecordBatchValidator.Validate(batch, configs, _log.Options.SegmentSizeBytes, now, out var message);
        if (error != TopicError.None)
        {
            return PartitionAppendResult.Failed(error, message);
        }
        // Leader epochs are not exposed (kafka-compatibility.md 6.9, model (a)): every stored batch says -1, as the
        // metadata does. The field lies outside the CRC, so this costs four bytes and no checksum.
        RecordBatch.SetPartitionLeaderEpoch(batch, NoLeaderEpoch);
        RecordBatchHeader.TryRead(batch, out var header);
        if (header.ProducerId < 0)
        {
            return AppendToLog(batch, configs, now);
        }
        return AppendIdempotent(batch, header.ProducerId, header.ProducerEpoch, header.BaseSequence, header.LastOffsetDelta, configs, now);
    }

    /// <summary>
    /// An idempotent producer's batch: the sequence check, the append and recording the batch happen under one lock,
    /// so no other batch of the partition can take offsets between a check and the append it allowed.
    /// </summary>
    private PartitionAppendResult AppendIdempotent(Span<byte> batch, long producerId, short epoch, int baseSequence,
        int lastOffsetDelta, TopicConfigs configs, long now)
    {
        var lastSequence = ProducerStateTable.LastSequence(baseSequence, lastOffsetDelta);
        lock (_producerLock)
        {
            ProducerStateTable producers;
            try
            {
                producers = _producers ??= LoadProducerState(now);
            }
            catch (Exception e) when (e is StorageException or IOException)
            {
                return PartitionAppendResult.Failed(TopicError.StorageUnavailable, e.Message);
            }
            switch (producers.Check(producerId, epoch, baseSequence, lastSequence, out var original, out var message))
            {
                case ProducerCheck.Duplicate:
                    // Nothing is appended; the retry is answered as the original was, once the original is durable.
                    return new PartitionAppendResult(TopicError.None, null, new Offset(original.FirstOffset), -1, _log.LogStartOffset,
                        original.Durable);
                case ProducerCheck.InvalidEpoch:
                    return PartitionAppendResult.Failed(TopicError.InvalidProducerEpoch, message);
                case ProducerCheck.OutOfOrderSequence:
                    return PartitionAppendResult.Failed(TopicError.OutOfOrderSequenceNumber, message);
            }
            var result = AppendToLog(batch, configs, now);
            if (result.Error == TopicError.None)
            {
                producers.Record(producerId, epoch, new ProducerBatch(baseSequence, lastSequence, result.BaseOffset.Value,
                    result.BaseOffset.Value + lastOffsetDelta, result.Durable), now);
            }
            return result;
        }
    }

    /// <summary>
    /// Rebuilds the producer state from the batch headers in the log's tail (the first idempotent append after a
    /// start does this, so partitions that never see one never pay for it). Only headers are read, and only of the
    /// newest segments holding <see cref="ProducerStateScanBytes"/> (plus at most one segment): Kafka keeps the
    /// state in snapshots instead; here a producer whose last batch lies further back is treated as Kafka treats one
    /// whose batches retention removed, and may continue at any sequence. The batches a retry could duplicate were
    /// in flight when the node stopped, so they are at the very end of the log, well inside the tail.
    /// </summary>
    private ProducerStateTable LoadProducerState(long now)
    {
        var table = new ProducerStateTable();
        _log.ScanBatchHeaders(_log.TailStartOffset(ProducerStateScanBytes), stored =>
        {
            if (stored.ProducerId < 0 || (stored.Attributes & RecordBatch.ControlFlag) != 0)
            {
                return;
            }
            var delta = (int)(stored.LastOffset.Value - stored.BaseOffset.Value);
            table.Record(stored.ProducerId, stored.ProducerEpoch, new ProducerBatch(stored.BaseSequence,
                ProducerStateTable.LastSequence(stored.BaseSequence, delta), stored.BaseOffset.Value, stored.LastOffset.Value,
                Task.CompletedTask), now);
        });
        return table;
    }

    private PartitionAppendResult AppendToLog(Span<byte> batch, TopicConfigs configs, long now)
    {
        AppendResult appended;
        try
        {
            appended = _log.Append(batch);
        }
        catch (InvalidRecordBatchException e)
        {
            // Framing and magic were checked above, so what the log still refuses is the CRC.
            return PartitionAppendResult.Failed(TopicError.CorruptMessage, e.Message);
        }
        catch (StorageException e)
        {
            return PartitionAppendResult.Failed(TopicError.StorageUnavailable, e.Message);
        }
        catch (IOException e)
        {
            // A full disk: nothing was stored and the log stays online.
            return PartitionAppendResult.Failed(TopicError.StorageUnavailable, e.Message);
        }
        var durable = appended.Durable;
        var appendTime = configs.TimestampType == TimestampType.LogAppendTime ? now : -1;
        return new PartitionAppendResult(TopicError.None, null, appended.BaseOffset, appendTime, _log.LogStartOffset, durable);
    }

    /// <summary>
    /// Kafka DeleteRecords: makes every offset below <paramref name="offset"/> unreadable by moving the log start
    /// there (-1: the high watermark); whole segments below it are removed by the next retention pass. An offset
    /// beyond the high watermark is OFFSET_OUT_OF_RANGE; a compact-only topic refuses (POLICY_VIOLATION), as Kafka
    /// does. <paramref name="lowWatermark"/> is the log start afterwards. Durable when this returns.
    /// </summary>
    public TopicError DeleteRecordsBefore(long offset, out Offset lowWatermark, out string? message)
    {
        lowWatermark = new Offset(-1);
        message = null;
        if ((_log.Options.Cleanup & CleanupPolicy.Delete) == 0)
        {
            message = $"Records of partition {Topic.Name}-{Index} can not be deleted due to the configured policy.";
            return TopicError.PolicyViolation;
        }
        var target = offset == DeleteToHighWatermark ? _log.HighWatermark.Value : offset;
        if (target < 0 || target > _log.HighWatermark.Value)
        {
            message = $"Cannot increment the log start offset to {target} of partition {Topic.Name}-{Index} since it is larger than the high watermark {_log.HighWatermark.Value}.";
            return TopicError.OffsetOutOfRange;
        }
        try
        {
            _log.AdvanceLogStartOffset(new Offset(target));
        }
        catch (OffsetOutOfRangeException e)
        {
            message = e.Message;
            return TopicError.OffsetOutOfRange;
        }
        catch (StorageException e)
        {
            message = e.Message;
            return TopicError.StorageUnavailable;
        }
        catch (IOException e)
        {
            message = e.Message;
            return TopicError.StorageUnavailable;
        }
        lowWatermark = _log.LogStartOffset;
        return TopicError.None;
    }

    /// <summary>
    /// Reads whole batches from the one containing <paramref name="offset"/>, up to <paramref name="maxBytes"/> but
    /// always at least one whole batch. The slice must be disposed. Below the log start or beyond the log end gives
    /// <see cref="TopicError.OffsetOutOfRange"/>.
    /// </summary>
    public TopicError TryRead(Offset offset, int maxBytes, out LogSlice slice)
    {
        try
        {
            slice = _log.Read(offset, maxBytes);
            return TopicError.None;
        }
        catch (OffsetOutOfRangeException)
        {
            slice = LogSlice.Empty;
            return TopicError.OffsetOutOfRange;
        }
        catch (StorageException)
        {
            slice = LogSlice.Empty;
            return TopicError.StorageUnavailable;
        }
    }

    /// <summary>
    /// Copies a slice from <see cref="TryRead"/> into <paramref name="destination"/>, verifying each batch's CRC on
    /// the way (bytes damaged on disk are never served). <paramref name="wholeBytes"/> counts the leading bytes that
    /// form whole batches.
    /// </summary>
    public static TopicError TryCopy(in LogSlice slice, Span<byte> destination, out int wholeBytes)
    {
        try
        {
            wholeBytes = slice.CopyTo(destination);
            return TopicError.None;
        }
        catch (StorageException)
        {
            wholeBytes = 0;
            return TopicError.StorageUnavailable;
        }
    }

    /// <summary>The first offset whose timestamp is at or after <paramref name="timestamp"/>, with that timestamp.</summary>
    public TopicError TryFindOffsetByTimestamp(long timestamp, out (Offset Offset, long Timestamp)? found)
    {
        try
        {
            found = _log.FindOffsetByTimestamp(timestamp);
            return TopicError.None;
        }
        catch (StorageException)
        {
            found = null;
            return TopicError.StorageUnavailable;
        }
    }

    /// <summary>
    /// The offset and timestamp of the record with the largest timestamp (Kafka ListOffsets -3), or null for an
    /// empty log. Batch headers are scanned once and the running maximum kept, so later calls read only what was
    /// appended since; the exact record inside the winning batch comes from the time lookup.
    /// </summary>
    public TopicError TryFindMaxTimestamp(out (Offset Offset, long Timestamp)? found)
    {
        found = null;
        try
        {
            long maxTimestamp;
            lock (_maxTimestampLock)
            {
                var start = Math.Max(_maxTimestampScanEnd, _log.LogStartOffset.Value);
                ScanMaxTimestamp(start);
                maxTimestamp = _scannedMaxTimestamp;
            }
            if (maxTimestamp == RecordBatch.NoTimestamp)
            {
                return TopicError.None;
            }
            found = _log.FindOffsetByTimestamp(maxTimestamp);
            return TopicError.None;
        }
        catch (StorageException)
        {
            return TopicError.StorageUnavailable;
        }
    }

    /// <summary>Walks batch headers from <paramref name="from"/> to the high watermark. Caller holds the lock.</summary>
    private void ScanMaxTimestamp(long from)
    {
        const int chunkBytes = 1024 * 1024;
        var next = new Offset(from);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            while (next < _log.HighWatermark)
            {
                using var slice = _log.Read(next, chunkBytes);
                if (slice.IsEmpty)
                {
                    break;
                }
                if (buffer.Length < slice.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(slice.Length);
                }
                var whole = slice.CopyTo(buffer);
                var p = 0;
                while (p < whole && RecordBatchHeader.TryRead(buffer.AsSpan(p, whole - p), out var header))
                {
                    _scannedMaxTimestamp = Math.Max(_scannedMaxTimestamp, header.MaxTimestamp);
                    next = new Offset(header.LastOffset + 1);
                    p += (int)header.TotalSize;
                }
                if (p == 0)
                {
                    break;
                }
            }
            _maxTimestampScanEnd = next.Value;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void SignalDataArrived()
    {
        var fired = Interlocked.Exchange(ref _dataArrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        fired.TrySetResult();
    }

    /// <summary>Releases fetches waiting on this partition (topic deletion).</summary>
    internal void WakeWaiters() => SignalDataArrived();

    internal PartitionLog Log => _log;
}
