using Herald.Broker.Messages;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Queues;

public sealed partial class Queue
{
    private const int RecoveryReadBytes = 1024 * 1024;
    private long _settledSinceLogStartCheck;

    /// <summary>The storage log names of a durable queue: its messages and its acknowledgement state.</summary>
    internal static (string Messages, string Acks) LogNamesFor(Guid id) =>
        ($"{LogNamePrefix}{id:N}", $"{LogNamePrefix}{id:N}-acks");

    internal const string LogNamePrefix = "amqp-queue.";

    /// <summary>Options for a queue's message log: no time or size retention (only settled segments go).</summary>
    internal static LogOptions MessageLogOptions(LogOptions baseline) => baseline with
    {
        RetentionTime = null,
        RetentionBytes = null,
        Cleanup = CleanupPolicy.Delete,
    };

    /// <summary>
    /// Rebuilds the ready messages from the log after a restart: every persistent record not settled, in offset
    /// order. Transient records are settled now, as RabbitMQ drops transient messages at restart. Only messages within
    /// the virtual host's memory budget are decoded; the others become paged-out slots read from their record headers,
    /// so recovering a long queue reads its log once but keeps no bodies.
    /// </summary>
    internal void Recover()
    {
        if (_log is null || _acks is null)
        {
            return;
        }
        _acks.Load();
        var transient = new List<long>();
        var from = Math.Max(_log.LogStartOffset.Value, _acks.State.Floor);
        lock (_lock)
        {
            _log.ReplayBatches(new Offset(from), (ReadOnlySpan<byte> batch, in RecordBatchHeader header) =>
                RecoverBatch(batch, header, from, transient), RecoveryReadBytes);
            if (transient.Count > 0)
            {
                _acks.Settle(transient);
                _acks.WritePending();
            }
            ArmTtlTimerLocked(_clock.GetUtcNow().ToUnixTimeMilliseconds());
        }
        _logger.LogInformation("Recovered {Count} messages in {Queue}", _readyCount, this);
    }

    private void RecoverBatch(ReadOnlySpan<byte> batch, in RecordBatchHeader header, long from, List<long> transient)
    {
        var baseOffset = header.BaseOffset;
        var baseTimestamp = header.BaseTimestamp;
        var reader = new RecordReader(batch[RecordBatch.HeaderSize..]);
        while (reader.TryReadNext(out var record))
        {
            var id = baseOffset + record.OffsetDelta;
            if (id < from || _acks!.State.Contains(id))
            {
                continue;
            }
            try
            {
                var facts = MessageRecordCodec.ReadFacts(record);
                if (!facts.Persistent)
                {
                    transient.Add(id);
                    continue;
                }
                var timestamp = baseTimestamp + record.TimestampDelta;
                var expiresAt = ExpiryOf(facts.ExpirationMilliseconds, timestamp);
                if (_host.ReadyMemory.IsOverWith(record.Value.Length))
                {
                    // Beyond the budget only the slot is kept; the body is read back when the message nears the head.
                    AddPagedLocked(id, LevelOf(facts.Priority), expiresAt, record.Value.Length);
                    continue;
                }
                var message = MessageRecordCodec.Decode(record, timestamp);
                AddReadyLocked(new QueueEntry(this, id, message, LevelOf(facts.Priority), expiresAt));
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or KeyNotFoundException)
            {
                _logger.LogError("Queue {Queue}: stored message {Id} is unreadable and is skipped: {Error}", Name, id, e.Message);
                transient.Add(id);
            }
        }
    }

    /// <summary>
    /// Moves the message log's start up to the settled floor now and then, so retention deletes segments whose
    /// messages are all settled (never past the high watermark: only durable data may be dropped).
    /// </summary>
    private void MaybeAdvanceLogStartLocked()
    {
        if (_log is null || _settledSinceLogStartCheck < 1024)
        {
            return;
        }
        _settledSinceLogStartCheck = 0;
        var floor = Math.Min(_acks!.State.Floor, _log.HighWatermark.Value);
        if (floor > _log.LogStartOffset.Value)
        {
            _log.AdvanceLogStartOffset(new Offset(floor));
        }
    }

    /// <summary>Writes a final acknowledgement snapshot (clean shutdown).</summary>
    internal void Close()
    {
        lock (_lock)
        {
            DisposeTimersLocked();
            if (_acks is not null && !IsDeleted)
            {
                try
                {
                    _acks.WriteSnapshot();
                }
                catch (Exception e) when (e is StorageException or IOException)
                {
                    _logger.LogWarning("Queue {Queue}: final acknowledgement snapshot failed: {Message}", Name, e.Message);
                }
            }
        }
    }
}
