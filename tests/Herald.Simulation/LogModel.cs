namespace Herald.Simulation;

/// <summary>One record, as the model remembers it and as a read decodes it. Compared by value.</summary>
/// <param name="Headers">The encoded headers in hex, so headers are compared byte for byte without decoding them.</param>
internal readonly record struct SimRecord(long Offset, string? Key, string? Value, long Timestamp, string Headers)
{
    public bool IsTombstone => Value is null;

    public override string ToString() =>
        $"@{Offset} key={Key ?? "<null>"} value={(Value is null ? "<tombstone>" : Value.Length > 24 ? Value[..24] + $"...({Value.Length})" : Value)} ts={Timestamp}";
}

/// <summary>A record the simulation appended, before the log gave it an offset.</summary>
internal readonly record struct PlannedRecord(string? Key, string? Value, long Timestamp, string Headers);

/// <summary>The model's knowledge of one offset: the record the log assigned it and whether compaction removed it.</summary>
internal sealed class ModelEntry(SimRecord record)
{
    public SimRecord Record { get; } = record;

    public long Offset => Record.Offset;

    /// <summary>
    /// Compaction removed the record. It must not be read again unless a power loss undid the removal: the log
    /// deletes a segment that compaction emptied without syncing the directory, which is allowed because the
    /// records it held were superseded.
    /// </summary>
    public bool Removed { get; private set; }

    /// <summary>The model's power-loss count when the record was removed.</summary>
    public int RemovedAtPowerLoss { get; private set; }

    public void MarkRemoved(int powerLosses)
    {
        Removed = true;
        RemovedAtPowerLoss = powerLosses;
    }

    public void Restore() => Removed = false;
}

/// <summary>
/// The in-memory model of one log (reliability.md §2.2): every record the log has assigned an offset in the current
/// timeline (a list indexed by offset, because offsets are dense from 0), which of them compaction removed, the log
/// start offset, and what the log has promised about durability: acknowledged appends, completed flushes, the
/// durable log start, and (under <c>FsyncPolicy.Always</c>) the high watermarks readers were shown. A crash
/// truncates the timeline to what survived, since the log then hands out the lost offsets again. Records below the
/// log start stay in the list: a power loss may legitimately bring them back.
/// Owned by one <see cref="LogSimulation"/>; not thread-safe.
/// </summary>
internal sealed class LogModel
{
    private readonly List<ModelEntry> _entries = [];
    private readonly List<(long LastOffset, Task Durable)> _pendingAppends = [];

    public long NextOffset => _entries.Count;

    /// <summary>The log start the log must report; moved by retention, explicit advances and crashes.</summary>
    public long LogStartOffset { get; set; }

    /// <summary>The highest offset passed to AdvanceLogStartOffset, which is durable when that call returns.</summary>
    public long DurableLogStartFloor { get; private set; }

    /// <summary>Offsets below this are durable: covered by a completed flush, a clean close or a segment roll.</summary>
    public long DurableThrough { get; private set; }

    /// <summary>One past the last offset whose append's Durable task completed successfully.</summary>
    public long AcknowledgedThrough { get; private set; }

    /// <summary>The highest high watermark a reader saw; under Always the log promises it is durable.</summary>
    public long VisibleThrough { get; private set; }

    /// <summary>Power losses so far in this run.</summary>
    public int PowerLosses { get; private set; }

    public ModelEntry this[long offset] => _entries[checked((int)offset)];

    public IReadOnlyList<ModelEntry> Entries => _entries;

    /// <summary>Appends whose Durable task has not been seen completing, with the last offset each covers.</summary>
    public IReadOnlyList<(long LastOffset, Task Durable)> PendingAppends => _pendingAppends;

    public void Append(IReadOnlyList<PlannedRecord> records, Task durable)
    {
        foreach (var planned in records)
        {
            _entries.Add(new ModelEntry(new SimRecord(NextOffset, planned.Key, planned.Value, planned.Timestamp,
                planned.Headers)));
        }
        _pendingAppends.Add((NextOffset - 1, durable));
    }

    /// <summary>
    /// Folds appends whose Durable task has completed into <see cref="AcknowledgedThrough"/>. A failed one is a
    /// violation unless <paramref name="crashed"/>: an abandoned incarnation fails whatever it had not yet fsynced.
    /// </summary>
    public void ObserveAcknowledgements(bool crashed = false)
    {
        for (var i = _pendingAppends.Count - 1; i >= 0; i--)
        {
            var (lastOffset, durable) = _pendingAppends[i];
            if (!durable.IsCompleted)
            {
                continue;
            }
            if ((durable.IsFaulted || durable.IsCanceled) && !crashed)
            {
                throw new SimulationViolation("durable-failed",
                    $"the append ending at offset {lastOffset} failed to become durable without any fault injected: " +
                    durable.Exception?.InnerException?.Message);
            }
            if (durable.IsCompletedSuccessfully)
            {
                AcknowledgedThrough = Math.Max(AcknowledgedThrough, lastOffset + 1);
            }
            _pendingAppends.RemoveAt(i);
        }
    }

    /// <summary>Durable tasks not yet completed (the caller awaits them to let the group commit go idle).</summary>
    public Task[] PendingDurableTasks() => _pendingAppends.Select(p => p.Durable).ToArray();

    /// <summary>Appends still waiting for durability whose records lie below <paramref name="end"/>.</summary>
    public IEnumerable<long> UnacknowledgedBelow(long end) =>
        _pendingAppends.Where(p => p.LastOffset < end && !p.Durable.IsCompletedSuccessfully).Select(p => p.LastOffset);

    public void RaiseDurableThrough(long offset) => DurableThrough = Math.Max(DurableThrough, Math.Min(offset, NextOffset));

    public void RaiseDurableLogStartFloor(long offset) => DurableLogStartFloor = Math.Max(DurableLogStartFloor, offset);

    public void ObserveHighWatermark(long highWatermark) => VisibleThrough = Math.Max(VisibleThrough, highWatermark);

    /// <summary>
    /// After a crash and reopen: forgets every offset at or beyond <paramref name="survivedEnd"/> (the log reuses
    /// them) and the old incarnation's pending appends, and takes the reopened log's start.
    /// </summary>
    public void ApplyCrash(long survivedEnd, long logStart, bool powerLoss)
    {
        _entries.RemoveRange((int)survivedEnd, _entries.Count - (int)survivedEnd);
        _pendingAppends.Clear();
        LogStartOffset = logStart;
        DurableLogStartFloor = Math.Min(DurableLogStartFloor, survivedEnd);
        AcknowledgedThrough = Math.Min(AcknowledgedThrough, survivedEnd);
        VisibleThrough = Math.Min(VisibleThrough, survivedEnd);
        DurableThrough = powerLoss ? survivedEnd : Math.Min(DurableThrough, survivedEnd);
        if (powerLoss)
        {
            PowerLosses++;
        }
    }

    /// <summary>The first record not removed in [<paramref name="from"/>, <paramref name="end"/>), or null.</summary>
    public ModelEntry? FirstLiveAtOrAfter(long from, long end)
    {
        for (var offset = Math.Max(from, 0); offset < Math.Min(end, NextOffset); offset++)
        {
            if (!this[offset].Removed)
            {
                return this[offset];
            }
        }
        return null;
    }

    /// <summary>
    /// Kafka ListOffsets by time over what a reader may see: the earliest record not removed at or after the log
    /// start and below <paramref name="end"/> whose timestamp is at least <paramref name="timestamp"/>.
    /// </summary>
    public SimRecord? FindByTimestamp(long timestamp, long end)
    {
        for (var offset = LogStartOffset; offset < Math.Min(end, NextOffset); offset++)
        {
            var entry = this[offset];
            if (!entry.Removed && entry.Record.Timestamp >= timestamp)
            {
                return entry.Record;
            }
        }
        return null;
    }

    /// <summary>The offset of each key's newest record below <paramref name="end"/>, removed or not.</summary>
    public Dictionary<string, long> NewestOffsetByKey(long from, long end)
    {
        var newest = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var offset = Math.Max(from, 0); offset < Math.Min(end, NextOffset); offset++)
        {
            if (this[offset].Record.Key is { } key)
            {
                newest[key] = offset;
            }
        }
        return newest;
    }
}
