using System.Text;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Simulation;

/// <summary>
/// Reads the real log and compares what comes back with the <see cref="LogModel"/> (the checkers of reliability.md
/// §2.2, applied to a single log):
/// <list type="bullet">
/// <item><c>unexpected</c>: a record at an offset the model never assigned.</item>
/// <item><c>inconsistent-offset</c>: a record whose key, value, timestamp or headers differ from the model's record
/// at that offset.</item>
/// <item><c>lost</c> (and <c>read-skip</c> for single reads): a record the model holds as present, at or after the
/// start of a read and below the high watermark seen before it, that the read passed over.</item>
/// <item><c>resurrected</c>: a record compaction removed, read again without a power loss in between.</item>
/// <item><c>deleted-key-resurrected</c>: a key whose newest record (a tombstone) is gone while an older record of
/// the key is still readable, so the key came back to life.</item>
/// <item>Batch framing: whole CRC-valid v2 batches, increasing offsets, nothing at or past the high watermark, the
/// first batch whole even when larger than the byte limit (KIP-74) and never more than the limit after it.</item>
/// </list>
/// Stateless; the model is updated in place where a check decides a missing record was legitimately compacted away.
/// </summary>
internal static class LogChecker
{
    /// <summary>What one verified read returned: whether it was empty and where the next read should start.</summary>
    public readonly record struct SliceOutcome(bool IsEmpty, long NextStart, int RecordCount);

    /// <summary>
    /// Reads from <paramref name="start"/> and verifies the slice. A present model record in
    /// [<paramref name="start"/>, <paramref name="highWatermarkBefore"/>) that the read skipped fails with
    /// <paramref name="missingChecker"/>, unless <paramref name="mayBeMissing"/> accepts it; it is then marked removed.
    /// </summary>
    public static SliceOutcome ReadAndVerify(PartitionLog log, LogModel model, long start, int maxBytes,
        long highWatermarkBefore, string missingChecker, Func<ModelEntry, bool>? mayBeMissing = null)
    {
        using var slice = log.Read(new Offset(start), maxBytes);
        var highWatermarkAfter = log.HighWatermark.Value;
        if (slice.IsEmpty)
        {
            AccountForGap(model, start, highWatermarkBefore, missingChecker, mayBeMissing,
                $"Read({start}, {maxBytes}) returned nothing below the high watermark {highWatermarkBefore}");
            return new SliceOutcome(true, start, 0);
        }

        var buffer = new byte[slice.Length];
        var whole = slice.CopyTo(buffer); // verifies every whole batch's CRC-32C
        if (whole == 0)
        {
            throw new SimulationViolation("read-framing",
                $"Read({start}, {maxBytes}) returned {slice.Length} bytes without one whole batch (KIP-74: the first batch is always whole)");
        }

        var cursor = start; // every model offset in [start, cursor) is accounted for
        var lastOffset = -1L;
        var recordCount = 0;
        var position = 0;
        var firstBatchSize = 0;
        while (position < whole)
        {
            RecordBatchHeader.TryRead(buffer.AsSpan(position), out var header);
            var size = (int)header.TotalSize;
            var batch = buffer.AsSpan(position, size);
            if (header.Magic != RecordBatch.CurrentMagic || !RecordBatch.IsCrcValid(batch))
            {
                throw new SimulationViolation("read-framing", $"Read({start}) served an invalid batch at slice byte {position}");
            }
            if (position == 0)
            {
                firstBatchSize = size;
                if (header.BaseOffset != slice.FirstBatchOffset.Value || header.LastOffset < start)
                {
                    throw new SimulationViolation("read-framing",
                        $"Read({start}) starts with batch [{header.BaseOffset}..{header.LastOffset}], " +
                        $"slice says {slice.FirstBatchOffset}; the first batch must contain or follow the offset asked for");
                }
            }
            else if (header.BaseOffset <= lastOffset)
            {
                throw new SimulationViolation("read-framing",
                    $"Read({start}) returned batch [{header.BaseOffset}..{header.LastOffset}] after one ending at {lastOffset}");
            }
            if (header.LastOffset >= highWatermarkAfter)
            {
                throw new SimulationViolation("visibility",
                    $"Read({start}) returned batch [{header.BaseOffset}..{header.LastOffset}] at or past the high watermark {highWatermarkAfter}");
            }

            var previousRecordOffset = header.BaseOffset - 1;
            using var records = log.Codecs.OpenRecords(batch);
            var reader = new RecordReader(records.Span);
            while (reader.TryReadNext(out var record))
            {
                var offset = header.BaseOffset + record.OffsetDelta;
                if (offset <= previousRecordOffset || offset > header.LastOffset)
                {
                    throw new SimulationViolation("read-framing",
                        $"batch [{header.BaseOffset}..{header.LastOffset}] holds a record at offset {offset} out of order");
                }
                previousRecordOffset = offset;
                var observed = new SimRecord(offset,
                    record.KeyIsNull ? null : Encoding.UTF8.GetString(record.Key),
                    record.ValueIsNull ? null : Encoding.UTF8.GetString(record.Value),
                    header.BaseTimestamp + record.TimestampDelta,
                    Convert.ToHexString(record.Headers));
                VerifyRecord(model, observed);
                if (offset >= start)
                {
                    AccountForGap(model, cursor, offset, missingChecker, mayBeMissing,
                        $"Read({start}, {maxBytes}) went from offset {cursor} straight to {offset}");
                    cursor = offset + 1;
                    recordCount++;
                }
            }
            if (reader.IsMalformed)
            {
                throw new SimulationViolation("read-framing", $"batch [{header.BaseOffset}..{header.LastOffset}] has malformed records");
            }
            lastOffset = header.LastOffset;
            position += size;
        }
        // Offsets inside the batches read that no record carried: compaction gaps, or records lost.
        AccountForGap(model, cursor, lastOffset + 1, missingChecker, mayBeMissing,
            $"Read({start}, {maxBytes}) returned batches up to offset {lastOffset} without offset {cursor}");
        if (slice.Length > Math.Max(maxBytes, firstBatchSize))
        {
            throw new SimulationViolation("read-framing",
                $"Read({start}, {maxBytes}) returned {slice.Length} bytes, more than the limit and the first batch ({firstBatchSize} bytes)");
        }
        return new SliceOutcome(false, lastOffset + 1, recordCount);
    }

    /// <summary>
    /// The final drain: the log is healthy, reports the model's end and start, and reading it whole from the log
    /// start to the high watermark, in reads of random sizes, returns exactly the model's present records.
    /// </summary>
    public static int VerifyWholeLog(PartitionLog log, LogModel model, SimulationRandom random, string missingChecker,
        Func<ModelEntry, bool>? mayBeMissing = null)
    {
        if (log.DamageReason is { } reason)
        {
            throw new SimulationViolation("damaged", $"the log is damaged: {reason}");
        }
        if (log.NextOffset.Value != model.NextOffset)
        {
            throw new SimulationViolation(log.NextOffset.Value < model.NextOffset ? "lost" : "unexpected",
                $"the log ends at {log.NextOffset}, the model at {model.NextOffset}");
        }
        if (log.LogStartOffset.Value != model.LogStartOffset)
        {
            throw new SimulationViolation("log-start", $"the log starts at {log.LogStartOffset}, the model at {model.LogStartOffset}");
        }
        var highWatermark = log.HighWatermark.Value;
        var start = model.LogStartOffset;
        var total = 0;
        var segmentSize = (int)log.Options.SegmentSizeBytes;
        while (start < highWatermark)
        {
            var outcome = ReadAndVerify(log, model, start, random.Next(1, 3 * segmentSize), highWatermark, missingChecker,
                mayBeMissing);
            if (outcome.IsEmpty)
            {
                break;
            }
            total += outcome.RecordCount;
            start = outcome.NextStart;
        }
        VerifyDeletedKeysStayDeleted(model, highWatermark);
        return total;
    }

    /// <summary>
    /// Compaction may drop a key's newest record only when it is a tombstone, and then every older record of the key
    /// must be gone too; otherwise a reader rebuilding the table from the log would see the deleted key again.
    /// </summary>
    public static void VerifyDeletedKeysStayDeleted(LogModel model, long end)
    {
        var newest = model.NewestOffsetByKey(model.LogStartOffset, end);
        foreach (var (key, newestOffset) in newest)
        {
            if (!model[newestOffset].Removed)
            {
                continue;
            }
            for (var offset = model.LogStartOffset; offset < newestOffset; offset++)
            {
                var entry = model[offset];
                if (!entry.Removed && entry.Record.Key == key)
                {
                    throw new SimulationViolation("deleted-key-resurrected",
                        $"key {key}: its newest record {model[newestOffset].Record} was compacted away but the older {entry.Record} is still readable");
                }
            }
        }
    }

    private static void VerifyRecord(LogModel model, SimRecord observed)
    {
        if (observed.Offset < 0 || observed.Offset >= model.NextOffset)
        {
            throw new SimulationViolation("unexpected", $"read {observed}, but the model ends at {model.NextOffset}");
        }
        var entry = model[observed.Offset];
        if (entry.Record != observed)
        {
            throw new SimulationViolation("inconsistent-offset", $"read {observed}, but the model holds {entry.Record}");
        }
        if (entry.Removed)
        {
            if (model.PowerLosses <= entry.RemovedAtPowerLoss)
            {
                throw new SimulationViolation("resurrected",
                    $"read {observed}, which compaction removed, with no power loss since");
            }
            entry.Restore(); // a power loss undid an unsynced segment deletion; the record is back for good
        }
    }

    private static void AccountForGap(LogModel model, long from, long to, string checker,
        Func<ModelEntry, bool>? mayBeMissing, string context)
    {
        for (var offset = from; offset < Math.Min(to, model.NextOffset); offset++)
        {
            var entry = model[offset];
            if (entry.Removed)
            {
                continue;
            }
            if (mayBeMissing?.Invoke(entry) == true)
            {
                entry.MarkRemoved(model.PowerLosses);
                continue;
            }
            throw new SimulationViolation(checker, $"{context}: the model's {entry.Record} is missing");
        }
    }
}
