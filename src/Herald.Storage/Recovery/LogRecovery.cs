using Herald.Storage.Indexes;
using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.Storage.Segments;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Recovery;

/// <summary>What <see cref="LogRecovery"/> found: the segments to serve, or why the log must not be served.</summary>
internal sealed record RecoveredLog(List<LogSegment> Segments, string? DamageReason, long TruncatedBytes);

/// <summary>
/// Opens a log directory and decides what of it can be trusted (DESIGN.md section 4; reliability.md H3, H4, D3).
/// <list type="bullet">
/// <item>Leftovers of interrupted rewrites (<c>.cleaned</c>, <c>.tmp</c>) are deleted.</item>
/// <item>Sealed segments were fsynced with their indexes when they were sealed, so they are checked cheaply: the
/// index must be sane and the batches after its last entry must run exactly to the end of the file. A missing or
/// inconsistent index is rebuilt by scanning the segment. Any bad batch in a sealed segment, an offset overlap
/// between segments, or a gap in a log that is never compacted, marks the log damaged: that is corruption, not a
/// torn write, and truncating it would silently drop acknowledged data.</item>
/// <item>The active (last) segment after an unclean shutdown is scanned batch by batch (length, magic, CRC-32C,
/// offset order) and its index rebuilt. The first invalid batch ends the log there (a torn tail) unless a valid
/// batch follows it, which means corruption in the middle, and the log is marked damaged.</item>
/// </list>
/// </summary>
internal static class LogRecovery
{
    public static RecoveredLog Recover(IStorageDevice device, string directory, LogOptions options, bool cleanShutdown,
        long logStartCheckpoint, ILogger logger)
    {
        var baseOffsets = new List<long>();
        foreach (var name in device.ListFiles(directory))
        {
            if (SegmentFileNames.IsLeftover(name))
            {
                device.DeleteFile(Path.Combine(directory, name));
                logger.LogInformation("Removed leftover file {File} of an interrupted rewrite", Path.Combine(directory, name));
            }
            else if (SegmentFileNames.TryParseLogFile(name, out var baseOffset))
            {
                baseOffsets.Add(baseOffset);
            }
        }
        baseOffsets.Sort();
        DropSegmentsBelowLogStart(device, directory, baseOffsets, logStartCheckpoint, logger);

        var segments = new List<LogSegment>();
        if (baseOffsets.Count == 0)
        {
            segments.Add(LogSegment.Create(device, directory, Math.Max(0, logStartCheckpoint)));
            device.SyncDirectory(directory);
            return new RecoveredLog(segments, null, 0);
        }

        var strict = (options.Cleanup & CleanupPolicy.Compact) == 0;
        long expectedNext = -1;
        long truncatedBytes = 0;
        for (var i = 0; i < baseOffsets.Count; i++)
        {
            var baseOffset = baseOffsets[i];
            var isActive = i == baseOffsets.Count - 1;
            if (expectedNext >= 0 && (baseOffset < expectedNext || (strict && baseOffset != expectedNext)))
            {
                return Damaged(segments, baseOffset < expectedNext
                    ? $"segment {baseOffset} overlaps the previous segment, which ends at offset {expectedNext - 1}"
                    : $"offsets {expectedNext} to {baseOffset - 1} are missing between segments");
            }
            var file = device.Open(SegmentFileNames.LogFile(directory, baseOffset), FileOpenMode.OpenExisting);
            var size = file.Length;
            var segmentExpected = strict ? baseOffset : Math.Max(expectedNext, baseOffset);

            var opened = (!isActive || cleanShutdown)
                ? TryOpenWithIndexes(device, directory, baseOffset, file, size)
                : null;
            if (opened is null)
            {
                var rebuilt = Rebuild(device, directory, baseOffset, file, size, segmentExpected, strict, options);
                if (rebuilt.Stop != ScanStop.None)
                {
                    var reason = $"segment {baseOffset}: {Describe(rebuilt.Stop)} at byte {rebuilt.EndPosition} of {size}";
                    if (!isActive || rebuilt.Stop == ScanStop.OffsetOrder || IsFollowedByValidBatch(file, rebuilt.EndPosition, size))
                    {
                        rebuilt.Segment.Close();
                        return Damaged(segments, reason);
                    }
                    // A torn tail: the last write never completed. Everything acknowledged lies before it.
                    truncatedBytes = size - rebuilt.EndPosition;
                    rebuilt.Segment.TruncateTo(rebuilt.EndPosition, rebuilt.NextOffset, rebuilt.MaxTimestamp);
                    logger.LogWarning("Truncated {Bytes} bytes of an incomplete write at the tail of {Directory} ({Reason})",
                        truncatedBytes, directory, reason);
                }
                opened = rebuilt.Segment;
                if (isActive)
                {
                    // The tail came back from the page cache of a process that died: make it durable before
                    // readers see it, so a later power loss cannot take back what a consumer already read.
                    file.Flush();
                }
            }
            segments.Add(opened);
            expectedNext = opened.NextOffset;
        }
        return new RecoveredLog(segments, null, truncatedBytes);
    }

    /// <summary>
    /// Deletes segments wholly below the log start checkpoint: retention makes the checkpoint durable before it
    /// deletes files, so such segments are deletions a crash interrupted, not data, and any gap among them is none
    /// of the reader's business.
    /// </summary>
    private static void DropSegmentsBelowLogStart(IStorageDevice device, string directory, List<long> baseOffsets,
        long logStartCheckpoint, ILogger logger)
    {
        var dropped = 0;
        while (dropped + 1 < baseOffsets.Count && baseOffsets[dropped + 1] <= logStartCheckpoint)
        {
            var baseOffset = baseOffsets[dropped];
            foreach (var path in new[]
                     {
                         SegmentFileNames.LogFile(directory, baseOffset), SegmentFileNames.IndexFile(directory, baseOffset),
                         SegmentFileNames.TimeIndexFile(directory, baseOffset),
                     })
            {
                if (device.FileExists(path))
                {
                    device.DeleteFile(path);
                }
            }
            dropped++;
        }
        if (dropped > 0)
        {
            baseOffsets.RemoveRange(0, dropped);
            device.SyncDirectory(directory);
            logger.LogInformation("Removed {Count} segments of {Directory} below its log start {Offset}", dropped,
                directory, logStartCheckpoint);
        }
    }

    private static RecoveredLog Damaged(List<LogSegment> segments, string reason)
    {
        foreach (var segment in segments)
        {
            segment.Close();
        }
        return new RecoveredLog([], reason, 0);
    }

    /// <summary>
    /// Opens a segment trusting its index files after cheap checks: the indexes load, and the batches from the last
    /// index entry on are valid and end exactly at the end of the file. Null when anything is off.
    /// </summary>
    private static LogSegment? TryOpenWithIndexes(IStorageDevice device, string directory, long baseOffset,
        IStorageFile file, long size)
    {
        var index = OffsetIndex.TryLoad(device, SegmentFileNames.IndexFile(directory, baseOffset), size);
        if (index is null || (size > 0 && index.Count == 0))
        {
            return null;
        }
        var last = index.Count > 0 ? index.Last : new OffsetIndex.Entry(0, 0);
        var firstBatchOffset = -1L;
        var maxTimestamp = -1L;
        var tail = BatchScanner.Scan(file, last.Position, size, verifyCrc: true, expectedNextOffset: -1,
            strictlyContiguous: false, batch =>
            {
                if (firstBatchOffset < 0)
                {
                    firstBatchOffset = batch.BaseOffset;
                }
                maxTimestamp = Math.Max(maxTimestamp, batch.MaxTimestamp);
                return true;
            });
        if (tail.Stop != ScanStop.None || tail.EndPosition != size ||
            (size > 0 && firstBatchOffset != baseOffset + last.RelativeOffset))
        {
            return null;
        }
        var nextOffset = size == 0 ? baseOffset : tail.NextOffset;
        var timeIndex = TimeIndex.TryLoad(device, SegmentFileNames.TimeIndexFile(directory, baseOffset),
            (int)Math.Min(int.MaxValue, nextOffset - baseOffset));
        if (timeIndex is null)
        {
            return null;
        }
        maxTimestamp = Math.Max(maxTimestamp, timeIndex.LastTimestamp);
        var segment = LogSegment.Open(device, directory, baseOffset, file, size, nextOffset, maxTimestamp, index, timeIndex);
        // Appends after this continue the index spacing from the last entry, as if the log had never closed.
        segment.ReplaceIndexes(index, timeIndex, (int)(size - last.Position));
        segment.RollBaseTimestamp = timeIndex.Count > 0 ? timeIndex.FirstTimestamp : maxTimestamp;
        return segment;
    }

    private sealed record RebuildResult(LogSegment Segment, ScanStop Stop, long EndPosition, long NextOffset,
        long MaxTimestamp);

    /// <summary>Scans a whole segment with CRC checks, building fresh indexes as appends would have.</summary>
    private static RebuildResult Rebuild(IStorageDevice device, string directory, long baseOffset, IStorageFile file,
        long size, long expectedNext, bool strict, LogOptions options)
    {
        var segment = LogSegment.Open(device, directory, baseOffset, file, size, baseOffset, -1, new OffsetIndex(),
            new TimeIndex());
        var maxTimestamp = -1L;
        var firstTimestamp = -1L;
        var scan = BatchScanner.Scan(file, 0, size, verifyCrc: true, expectedNextOffset: expectedNext,
            strictlyContiguous: strict, batch =>
            {
                if (firstTimestamp < 0)
                {
                    firstTimestamp = batch.MaxTimestamp;
                }
                maxTimestamp = Math.Max(maxTimestamp, batch.MaxTimestamp);
                segment.IndexBatch(batch.BaseOffset, batch.LastOffset, (int)batch.Position, batch.Size, maxTimestamp,
                    options.IndexIntervalBytes);
                return true;
            });
        var nextOffset = scan.BatchCount == 0 ? baseOffset : scan.NextOffset;
        if (scan.Stop == ScanStop.None)
        {
            segment.TruncateTo(size, nextOffset, maxTimestamp);
        }
        segment.RollBaseTimestamp = firstTimestamp;
        return new RebuildResult(segment, scan.Stop, scan.EndPosition, nextOffset, maxTimestamp);
    }

    /// <summary>
    /// After an invalid batch at <paramref name="position"/>: is there a valid batch right after the space its
    /// header claims? Then the bad batch is damage in the middle of the data, not an interrupted last write.
    /// </summary>
    private static bool IsFollowedByValidBatch(IStorageFile file, long position, long size)
    {
        Span<byte> lengthBytes = stackalloc byte[Primitives.Records.RecordBatch.LogOverhead];
        if (size - position < lengthBytes.Length || file.Read(position, lengthBytes) < lengthBytes.Length)
        {
            return false;
        }
        var batchLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(lengthBytes[8..]);
        if (batchLength < BatchScanner.MinBatchLength)
        {
            return false;
        }
        var next = position + Primitives.Records.RecordBatch.LogOverhead + batchLength;
        return next < size && BatchScanner.IsValidBatchAt(file, next, size);
    }

    private static string Describe(ScanStop stop) => stop switch
    {
        ScanStop.Incomplete => "incomplete batch",
        ScanStop.BadHeader => "invalid batch header",
        ScanStop.BadCrc => "CRC-32C mismatch",
        ScanStop.OffsetOrder => "batch offsets out of order",
        _ => "end of data",
    };
}
