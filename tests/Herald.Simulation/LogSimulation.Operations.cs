using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Compression;
using Herald.Storage.Log;
using Herald.Storage.Segments;

namespace Herald.Simulation;

// The operations that do not crash the log: one method each, saying what it does, what the model expects and what
// is checked. Each sets _currentStep to a one-line description for the trace.
internal sealed partial class LogSimulation
{
    private readonly RecordBatchBuilder _builder = new();

    private async Task AppendAsync(SimulationRandom random)
    {
        var batchCount = random.Next(1, _config.MaxBatchesPerAppend + 1);
        var planned = new List<PlannedRecord>();
        var bytes = new ArrayBufferWriter<byte>();
        var gzipped = 0;
        for (var i = 0; i < batchCount; i++)
        {
            var batch = BuildBatch(random, planned);
            gzipped += IsGzip(batch) ? 1 : 0;
            bytes.Write(batch);
        }
        var segmentsBefore = _log.SegmentCount;
        var expectedBase = _model.NextOffset;
        var result = _log.Append(bytes.WrittenSpan.ToArray());
        _appendCount++;
        if (result.BaseOffset.Value != expectedBase || result.LastOffset.Value != expectedBase + planned.Count - 1 ||
            _log.NextOffset != result.LastOffset.Next)
        {
            throw new SimulationViolation("offsets",
                $"an append of {planned.Count} records at log end {expectedBase} was given [{result.BaseOffset}..{result.LastOffset}] and the log now ends at {_log.NextOffset}");
        }
        _model.Append(planned, result.Durable);
        // An append rolls before writing, and a roll fsyncs the sealed segment: everything before this append is durable.
        var rolled = _log.SegmentCount > segmentsBefore;
        if (rolled)
        {
            _model.RaiseDurableThrough(expectedBase);
        }
        _currentStep = $"append {batchCount} batch(es), {planned.Count} records{(gzipped > 0 ? $" ({gzipped} gzip)" : "")} " +
                       $"-> [{result.BaseOffset}..{result.LastOffset}]{(rolled ? ", rolled" : "")}";
        if (random.Chance(0.25))
        {
            await SettleAsync();
            _currentStep += ", awaited durable";
        }
    }

    /// <summary>A malformed batch (bad CRC, bad magic, or larger than a segment) among valid ones: nothing is stored.</summary>
    private Task InvalidAppendAsync(SimulationRandom random)
    {
        var planned = new List<PlannedRecord>();
        var batches = new List<byte[]>();
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            batches.Add(BuildBatch(random, planned));
        }
        var kind = random.Next(3);
        byte[] bad;
        if (kind == 2)
        {
            _builder.Reset(Now);
            _builder.Add(Now, "big"u8, new byte[Options.SegmentSizeBytes]);
            bad = _builder.Build().ToArray();
        }
        else
        {
            bad = BuildBatch(random, planned);
            if (kind == 0)
            {
                // Any byte the CRC covers (attributes to the end); the length and magic stay plausible.
                bad[random.Next(RecordBatch.AttributesPosition, bad.Length)] ^= (byte)(1 << random.Next(8));
            }
            else
            {
                bad[RecordBatch.MagicPosition] = 1;
            }
        }
        batches.Insert(random.Next(batches.Count + 1), bad);
        var end = _log.NextOffset;
        var segments = _log.SegmentCount;
        _currentStep = $"invalid append ({(kind == 0 ? "bit flip" : kind == 1 ? "magic 1" : "larger than a segment")} among {batches.Count} batches)";
        try
        {
            _log.Append(batches.SelectMany(b => b).ToArray());
            throw new SimulationViolation("invalid-accepted", "the log accepted an append holding an invalid batch");
        }
        catch (InvalidRecordBatchException)
        {
            // Expected; what matters is that nothing of the append was stored.
        }
        if (_log.NextOffset != end || _log.SegmentCount != segments)
        {
            throw new SimulationViolation("atomic-append",
                $"a rejected append moved the log end from {end} to {_log.NextOffset} or the segment count from {segments} to {_log.SegmentCount}");
        }
        return Task.CompletedTask;
    }

    private Task ReadAsync(SimulationRandom random)
    {
        var logStart = _model.LogStartOffset;
        var end = _model.NextOffset;
        long start;
        if (random.Chance(0.06))
        {
            start = random.Chance(0.5) ? logStart - random.Next(1, 3) : end + random.Next(1, 3);
        }
        else
        {
            start = random.NextInt64(logStart, end + 1);
        }
        var maxBytes = random.Chance(0.2) ? random.Next(1, 100) : random.Next(1, 3 * (int)Options.SegmentSizeBytes);
        _currentStep = $"read @{start} max {maxBytes}B";
        if (start < logStart || start > end)
        {
            try
            {
                using var slice = _log.Read(new Offset(start), maxBytes);
                throw new SimulationViolation("read-range", $"Read({start}) outside {logStart}..{end} returned a slice");
            }
            catch (OffsetOutOfRangeException)
            {
                _currentStep += " -> out of range, as expected";
                return Task.CompletedTask;
            }
        }
        var highWatermark = _log.HighWatermark.Value;
        var outcome = LogChecker.ReadAndVerify(_log, _model, start, maxBytes, highWatermark, "read-skip");
        _currentStep += $" -> {outcome.RecordCount} records (high watermark {highWatermark})";
        return Task.CompletedTask;
    }

    /// <summary>
    /// Kafka ListOffsets by time. The answer must be the model's earliest visible record at or after the timestamp;
    /// a group commit may raise the high watermark during the call, so a record that became visible meanwhile is
    /// accepted when nothing earlier qualifies.
    /// </summary>
    private Task FindByTimestampAsync(SimulationRandom random)
    {
        var roll = random.NextDouble();
        long timestamp;
        if (roll < 0.5 && _model.FirstLiveAtOrAfter(random.NextInt64(_model.LogStartOffset, _model.NextOffset + 1), _model.NextOffset) is { } entry)
        {
            timestamp = entry.Record.Timestamp + random.Next(-2, 3);
        }
        else if (roll < 0.7)
        {
            timestamp = Now + 10_000; // later than any record
        }
        else if (roll < 0.85)
        {
            timestamp = 0;
        }
        else
        {
            timestamp = Now - random.Next(0, 3_600_000);
        }
        var highWatermarkBefore = _log.HighWatermark.Value;
        var answer = _log.FindOffsetByTimestamp(timestamp);
        var highWatermarkAfter = _log.HighWatermark.Value;
        var expected = _model.FindByTimestamp(timestamp, highWatermarkBefore);
        var expectedLater = _model.FindByTimestamp(timestamp, highWatermarkAfter);
        var found = answer is { } a ? (a.Offset.Value, a.Timestamp) : ((long, long)?)null;
        var ok = expected is { } e
            ? found == (e.Offset, e.Timestamp)
            : found is null || (expectedLater is { } l && found == (l.Offset, l.Timestamp));
        _currentStep = $"find offset by timestamp {timestamp} -> {(found is { } f ? $"{f.Item1} (ts {f.Item2})" : "none")}";
        if (!ok)
        {
            throw new SimulationViolation("timestamp-lookup",
                $"FindOffsetByTimestamp({timestamp}) returned {(found is { } g ? $"offset {g.Item1} with timestamp {g.Item2}" : "nothing")}, " +
                $"the model's earliest record at or after it is {(expected?.ToString() ?? "none")} (log start {_model.LogStartOffset})");
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Waits for every pending append to be durable. Waiting for one alone would let the group commit run on into
    /// later rounds while the gate is open, and what is durable afterwards would depend on thread timing.
    /// </summary>
    private async Task AwaitDurableAsync()
    {
        _currentStep = $"await durable ({_model.PendingAppends.Count} appends pending)";
        await SettleAsync();
    }

    /// <summary>
    /// Lets time pass. Under <see cref="FsyncPolicy.Interval"/> this also plays the storage engine's flush timer,
    /// which calls FlushAsync once per interval: the log itself has no timer.
    /// </summary>
    private async Task AdvanceClockAsync(SimulationRandom random)
    {
        var roll = random.NextDouble();
        var delta = roll < 0.7 ? TimeSpan.FromMilliseconds(random.Next(0, 60_000))
            : roll < 0.95 ? TimeSpan.FromMinutes(random.Next(1, 11))
            : TimeSpan.FromMinutes(random.Next(10, 91));
        _clock.Advance(delta);
        _currentStep = $"advance clock {delta}";
        if (Options.Fsync == FsyncPolicy.Interval)
        {
            _sinceIntervalFlush += delta;
            if (_sinceIntervalFlush >= Options.FsyncInterval)
            {
                _sinceIntervalFlush = TimeSpan.Zero;
                await FlushCoreAsync();
                _currentStep += ", interval flush";
            }
        }
    }

    /// <summary>
    /// Retention may only move the log start forward, and (when no size limit is set) only past records older than
    /// the retention time; with a size limit the log may not stay a whole segment over it. Everything from the new
    /// log start on must still read back.
    /// </summary>
    private async Task ApplyRetentionAsync(SimulationRandom random)
    {
        await SettleAsync(); // whether retention rolls an expired active segment depends on the high watermark
        var startBefore = _model.LogStartOffset;
        var end = _model.NextOffset;
        var now = Now;
        _currentStep = $"apply retention (log start {startBefore})";
        var deleted = _log.ApplyRetention();
        var startAfter = _log.LogStartOffset.Value;
        _currentStep = $"apply retention: {deleted} segment(s) deleted, log start {startBefore} -> {startAfter}";
        if (_log.NextOffset.Value != end)
        {
            throw new SimulationViolation("offsets", $"retention moved the log end from {end} to {_log.NextOffset}");
        }
        if (startAfter < startBefore)
        {
            throw new SimulationViolation("log-start-regression", $"retention moved the log start back from {startBefore} to {startAfter}");
        }
        var deleteByPolicy = (Options.Cleanup & CleanupPolicy.Delete) != 0;
        if (!deleteByPolicy || Options.RetentionBytes is null)
        {
            var expiredBefore = deleteByPolicy && Options.RetentionTime is { } time ? now - (long)time.TotalMilliseconds : long.MinValue;
            for (var offset = startBefore; offset < startAfter; offset++)
            {
                var entry = _model[offset];
                if (!entry.Removed && entry.Record.Timestamp >= expiredBefore)
                {
                    throw new SimulationViolation("retention-deleted-young",
                        $"retention moved the log start from {startBefore} to {startAfter}, deleting {entry.Record}, " +
                        $"which is not older than the retention time (cutoff {expiredBefore})");
                }
            }
        }
        else if (Options.RetentionBytes is { } limit && _log.SegmentCount > 1)
        {
            var firstSegmentBytes = SegmentFiles()[0].Length;
            if (_log.SizeInBytes - limit >= firstSegmentBytes)
            {
                throw new SimulationViolation("retention-bytes",
                    $"after retention the log holds {_log.SizeInBytes} bytes, a whole first segment ({firstSegmentBytes} bytes) over the limit {limit}");
            }
        }
        _model.LogStartOffset = startAfter;
        LogChecker.VerifyWholeLog(_log, _model, random, "lost");
    }

    /// <summary>
    /// Compaction keeps offsets, the log end and the log start; it may drop a record only if it is keyed, lies in a
    /// sealed segment, is older than the minimum compaction lag, and is either superseded by a newer record of its
    /// key in the sealed segments or a tombstone older than the delete retention. This is looser than what the
    /// compactor does (it only sees the segments it cleans), never stricter: in particular the newest record of each
    /// key in the sealed range always stays, and no record reappears.
    /// </summary>
    private async Task CompactAsync(SimulationRandom random)
    {
        await SettleAsync(); // so the scan after compaction covers every record compaction could touch
        var activeBase = SegmentFiles()[^1].BaseOffset;
        var now = Now;
        var end = _model.NextOffset;
        var start = _model.LogStartOffset;
        var lagLimit = now - (long)Options.MinCompactionLag.TotalMilliseconds;
        var deleteHorizon = now - (long)Options.DeleteRetention.TotalMilliseconds;
        var newestInSealed = _model.NewestOffsetByKey(0, activeBase);
        _currentStep = $"compact (active segment from {activeBase})";
        var removed = _log.Compact();
        if (_log.NextOffset.Value != end || _log.LogStartOffset.Value != start)
        {
            throw new SimulationViolation("offsets",
                $"compaction moved the log to {_log.LogStartOffset}..{_log.NextOffset} from {start}..{end}");
        }
        if ((Options.Cleanup & CleanupPolicy.Compact) == 0 && removed != 0)
        {
            throw new SimulationViolation("compaction-policy", $"a log without the compact policy removed {removed} records");
        }
        var vanished = 0;
        LogChecker.VerifyWholeLog(_log, _model, random, "compaction-removed-live", entry =>
        {
            var record = entry.Record;
            var removable = record.Key is not null && record.Offset < activeBase && record.Timestamp <= lagLimit &&
                            (newestInSealed[record.Key] > record.Offset || (record.IsTombstone && record.Timestamp < deleteHorizon));
            vanished += removable ? 1 : 0;
            return removable;
        });
        _currentStep += $": the log removed {removed} records, {vanished} readable ones";
        if (vanished > removed)
        {
            throw new SimulationViolation("compaction-count", $"compaction reported {removed} records removed but {vanished} readable ones vanished");
        }
    }

    private Task AdvanceLogStartAsync(SimulationRandom random)
    {
        // Only durable data may be deleted: the bound is the high watermark, as for Kafka's DeleteRecords.
        var start = _model.LogStartOffset;
        var end = _log.HighWatermark.Value;
        var roll = random.NextDouble();
        var target = roll < 0.8 ? random.NextInt64(start, end + 1)
            : roll < 0.9 ? random.NextInt64(0, start + 1)
            : end + random.Next(1, 4);
        _currentStep = $"advance log start to {target} (from {start}, high watermark {end})";
        if (target > end)
        {
            try
            {
                _log.AdvanceLogStartOffset(new Offset(target));
                throw new SimulationViolation("log-start", $"AdvanceLogStartOffset({target}) beyond the high watermark {end} was accepted");
            }
            catch (OffsetOutOfRangeException)
            {
                return Task.CompletedTask;
            }
        }
        _log.AdvanceLogStartOffset(new Offset(target));
        var expected = Math.Max(start, target);
        if (_log.LogStartOffset.Value != expected)
        {
            throw new SimulationViolation("log-start", $"after AdvanceLogStartOffset({target}) the log starts at {_log.LogStartOffset}, expected {expected}");
        }
        _model.LogStartOffset = expected;
        _model.RaiseDurableLogStartFloor(expected);
        if (random.Chance(0.5))
        {
            LogChecker.VerifyWholeLog(_log, _model, random, "lost");
        }
        return Task.CompletedTask;
    }

    private async Task FlushAsync()
    {
        _currentStep = $"flush (log end {_model.NextOffset})";
        await FlushCoreAsync();
    }

    /// <summary>FlushAsync promises that every append before the call is durable when it completes.</summary>
    private async Task FlushCoreAsync()
    {
        var end = _model.NextOffset;
        var flush = _log.FlushAsync();
        _gate.Release();
        try
        {
            await flush.WaitAsync(DurableTimeout);
        }
        catch (TimeoutException)
        {
            throw new SimulationViolation("durable-hang", $"FlushAsync did not complete within {DurableTimeout.TotalSeconds}s");
        }
        finally
        {
            _gate.Hold();
        }
        _model.RaiseDurableThrough(end);
        if (Options.Fsync != FsyncPolicy.Always)
        {
            return;
        }
        if (_model.UnacknowledgedBelow(end).FirstOrDefault(-1) is var waiting and >= 0)
        {
            throw new SimulationViolation("flush-durability",
                $"FlushAsync completed while the append ending at {waiting} (below the log end {end} at the call) was still waiting for its fsync");
        }
        if (_log.HighWatermark.Value < end)
        {
            throw new SimulationViolation("visibility", $"after FlushAsync the high watermark {_log.HighWatermark} is below {end}");
        }
    }

    /// <summary>The final-drain checks mid-run, plus the segment files on disk agreeing with the log's accounting.</summary>
    private Task FullCheckAsync(SimulationRandom random)
    {
        _currentStep = "full check";
        var records = LogChecker.VerifyWholeLog(_log, _model, random, "lost");
        var files = SegmentFiles();
        if (files.Count != _log.SegmentCount || files.Sum(f => f.Length) != _log.SizeInBytes)
        {
            throw new SimulationViolation("segment-files",
                $"the directory holds {files.Count} segment files of {files.Sum(f => f.Length)} bytes, the log counts {_log.SegmentCount} of {_log.SizeInBytes}");
        }
        _currentStep = $"full check: {records} records in {files.Count} segments";
        return Task.CompletedTask;
    }

    /// <summary>One batch of random records; their plans are added to <paramref name="planned"/>.</summary>
    private byte[] BuildBatch(SimulationRandom random, List<PlannedRecord> planned)
    {
        var count = random.Next(1, _config.MaxRecordsPerBatch + 1);
        // Now and then a single large record, so batches cross index intervals and fill segments unevenly.
        var maxValueBytes = count == 1 && random.Chance(0.1) ? (int)Options.SegmentSizeBytes / 2 : _config.MaxValueBytes;
        var now = Now;
        var first = planned.Count;
        for (var i = 0; i < count; i++)
        {
            var key = random.Chance(_config.NullKeyChance) ? null : $"k{random.Next(_config.KeyCount)}";
            var value = random.Chance(_config.TombstoneChance) ? null : MakeValue(random, maxValueBytes, planned.Count);
            // Record timestamps are not monotonic: producers' clocks differ. A few are slightly in the future.
            var timestamp = now - (random.Chance(0.3) ? random.Next(0, 5000) : 0) + (random.Chance(0.05) ? random.Next(1, 2000) : 0);
            var headers = random.Chance(0.2) ? EncodeHeader(random) : "";
            planned.Add(new PlannedRecord(key, value, timestamp, headers));
        }
        // As producers do, the base timestamp is the first record's: the builder starts the batch's max timestamp there.
        _builder.Reset(planned[first].Timestamp);
        for (var i = 0; i < count; i++)
        {
            var record = planned[first + i];
            _builder.Add(i, record.Timestamp, record.Key is null ? default : Encoding.UTF8.GetBytes(record.Key), record.Key is null,
                record.Value is null ? default : Encoding.UTF8.GetBytes(record.Value), record.Value is null,
                record.Headers.Length > 0 ? 1 : 0, Convert.FromHexString(record.Headers));
        }
        var batch = _builder.Build().ToArray();
        return random.Chance(_config.GzipChance) ? Gzip(batch) : batch;
    }

    /// <summary>A value that names the append and record it came from, so a record read at the wrong offset shows.</summary>
    private string MakeValue(SimulationRandom random, int maxBytes, int index)
    {
        var length = random.Chance(0.05) ? 0 : random.Next(1, maxBytes + 1);
        var prefix = $"{_appendCount}.{index}:";
        var fill = (char)('a' + random.Next(26));
        return (prefix + new string(fill, Math.Max(0, length - prefix.Length)))[..length];
    }

    /// <summary>One header "h" = "x&lt;n&gt;" in wire form, as hex.</summary>
    private static string EncodeHeader(SimulationRandom random)
    {
        var value = Encoding.UTF8.GetBytes($"x{random.Next(100_000)}");
        Span<byte> encoded = stackalloc byte[32];
        var p = VarInt.Write(encoded, 1);
        encoded[p++] = (byte)'h';
        p += VarInt.Write(encoded[p..], value.Length);
        value.CopyTo(encoded[p..]);
        return Convert.ToHexString(encoded[..(p + value.Length)]);
    }

    /// <summary>Re-encodes an uncompressed batch with gzip-compressed records, as a producer would send it.</summary>
    private static byte[] Gzip(byte[] batch)
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write(batch.AsSpan(0, RecordBatch.HeaderSize));
        new GzipCodec().Compress(batch.AsSpan(RecordBatch.HeaderSize), writer);
        var result = writer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordBatch.LengthPosition), result.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(result.AsSpan(RecordBatch.AttributesPosition), (short)CompressionType.Gzip);
        RecordBatch.UpdateCrc(result);
        return result;
    }

    private static bool IsGzip(byte[] batch) =>
        RecordBatchHeader.TryRead(batch, out var header) && header.Compression == CompressionType.Gzip;

    /// <summary>The segment files in the log's directory, by base offset, with their lengths.</summary>
    private List<(long BaseOffset, long Length)> SegmentFiles()
    {
        var files = new List<(long BaseOffset, long Length)>();
        foreach (var name in _device.ListFiles(LogDirectory))
        {
            if (SegmentFileNames.TryParseLogFile(name, out var baseOffset))
            {
                files.Add((baseOffset, _device.GetFileBytes(Path.Combine(LogDirectory, name)).Length));
            }
        }
        files.Sort();
        return files;
    }
}
