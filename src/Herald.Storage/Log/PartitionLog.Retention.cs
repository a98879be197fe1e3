using Herald.Storage.Retention;
using Herald.Storage.Segments;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes whole old segments as the options say (Kafka's delete cleanup policy): segments whose newest record
    /// is older than <see cref="LogOptions.RetentionTime"/>; the oldest segments while the log would still exceed
    /// <see cref="LogOptions.RetentionBytes"/> without them; and segments entirely below the log start offset.
    /// The active segment is rolled first when everything in it has expired, so an idle log empties too. Returns
    /// the number of segments deleted.
    /// </summary>
    public int ApplyRetention()
    {
        var options = Options;
        lock (_lock)
        {
            if (!IsHealthy)
            {
                return 0;
            }
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            var deleteByPolicy = (options.Cleanup & CleanupPolicy.Delete) != 0;
            var expiredBefore = deleteByPolicy && options.RetentionTime is { } time
                ? now - (long)time.TotalMilliseconds
                : long.MinValue;
            var active = _segments[^1];
            if (!active.IsEmpty && active.MaxTimestamp < expiredBefore && _visible.Offset == _nextOffset)
            {
                Roll();
            }

            var segments = _segments;
            var excessBytes = deleteByPolicy && options.RetentionBytes is { } limit ? SizeInBytes - limit : 0;
            var deleteCount = 0;
            // Never the active segment: the log always keeps the file its end offset lives in.
            while (deleteCount < segments.Length - 1)
            {
                var segment = segments[deleteCount];
                var expired = segment.MaxTimestamp < expiredBefore;
                var oversized = excessBytes >= segment.Size && excessBytes > 0;
                var belowStart = segment.NextOffset <= _logStartOffset;
                if (!expired && !oversized && !belowStart)
                {
                    break;
                }
                excessBytes -= segment.Size;
                deleteCount++;
            }
            if (deleteCount == 0)
            {
                return 0;
            }
            var remaining = segments[deleteCount..];
            var newStart = Math.Max(_logStartOffset, remaining[0].BaseOffset);
            try
            {
                // The new log start is durable before any file goes, so a power loss that keeps only some of the
                // deletions leaves segments recovery knows to drop, never a gap it must call damage.
                PersistLogStartOffset(newStart);
                Volatile.Write(ref _segments, remaining);
                Volatile.Write(ref _logStartOffset, newStart);
                for (var i = 0; i < deleteCount; i++)
                {
                    segments[i].DeleteFiles();
                    segments[i].Close();
                }
                _device.SyncDirectory(Directory);
            }
            catch (IOException e)
            {
                GoOffline(e);
                return 0;
            }
            _logger.LogInformation("Retention deleted {Count} segments of {Directory}; log start is now {Offset}",
                deleteCount, Directory, _logStartOffset);
            return deleteCount;
        }
    }

    /// <summary>
    /// Compacts the sealed segments (Kafka's compact cleanup policy): keeps the newest record per key, drops
    /// tombstones older than <see cref="LogOptions.DeleteRetention"/>, and never touches records younger than
    /// <see cref="LogOptions.MinCompactionLag"/> or the active segment. Readers keep reading throughout; each
    /// rewritten segment replaces the old one atomically. Returns the number of records removed.
    /// </summary>
    public long Compact()
    {
        var options = Options;
        if ((options.Cleanup & CleanupPolicy.Compact) == 0 || !IsHealthy)
        {
            return 0;
        }
        LogSegment[] cleanable;
        bool startsAtLogStart;
        lock (_lock)
        {
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            var lagLimit = now - (long)options.MinCompactionLag.TotalMilliseconds;
            var sealedCount = _segments.Length - 1;
            var count = 0;
            while (count < sealedCount && _segments[count].MaxTimestamp <= lagLimit)
            {
                count++;
            }
            cleanable = _segments[..count];
            startsAtLogStart = count > 0 && ReferenceEquals(_segments[0], cleanable[0]);
            foreach (var segment in cleanable)
            {
                segment.TryAcquire();
            }
        }
        if (cleanable.Length == 0)
        {
            return 0;
        }
        try
        {
            var compactor = new LogCompactor(_device, Directory, Codecs, options, _clock);
            var rewritten = compactor.Compact(cleanable, startsAtLogStart, out var removedRecords);
            if (removedRecords > 0)
            {
                ReplaceSegments(cleanable, rewritten);
                _logger.LogInformation("Compaction removed {Count} records from {Directory}", removedRecords, Directory);
            }
            return removedRecords;
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Compaction of {Directory} failed; the log is unchanged", Directory);
            return 0;
        }
        finally
        {
            foreach (var segment in cleanable)
            {
                segment.Release();
            }
        }
    }

    /// <summary>
    /// Swaps compacted copies in for the originals (same base offsets; empty ones are dropped). Segments that
    /// retention removed meanwhile are left out.
    /// </summary>
    private void ReplaceSegments(LogSegment[] originals, Dictionary<long, LogSegment?> replacements)
    {
        lock (_lock)
        {
            var current = _segments;
            var updated = new List<LogSegment>(current.Length);
            foreach (var segment in current)
            {
                if (Array.IndexOf(originals, segment) >= 0 && replacements.TryGetValue(segment.BaseOffset, out var copy))
                {
                    if (copy is not null)
                    {
                        updated.Add(copy);
                        segment.Close(); // the file names now hold the copy: close the old handle, keep the files
                    }
                    else
                    {
                        segment.Close(); // nothing survived: the compactor already deleted the files
                    }
                }
                else
                {
                    updated.Add(segment);
                }
            }
            foreach (var copy in replacements.Values)
            {
                if (copy is not null && !updated.Contains(copy))
                {
                    copy.Close(); // retention dropped the original meanwhile; its files are being deleted
                }
            }
            Volatile.Write(ref _segments, updated.ToArray());
        }
    }
}
