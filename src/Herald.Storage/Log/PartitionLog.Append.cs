using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.IO;
using Herald.Storage.Segments;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Log;

public sealed partial class PartitionLog
{
    // Group commit state, guarded by _lock: every append under FsyncPolicy.Always since the last fsync started waits
    // on _pendingFlush; the flusher swaps it out, fsyncs once, and completes it for all of them.
    private TaskCompletionSource? _pendingFlush;
    private bool _flusherRunning;
    // One past the last offset known to be on disk (covered by a completed fsync, a roll or recovery).
    private long _durableOffset;
    // Bytes appended since the last background writeback was requested (policies other than Always).
    private long _bytesSinceWriteback;

    /// <summary>
    /// Appends one or more whole record batches, assigning their offsets: each batch's base offset field is
    /// overwritten in <paramref name="batches"/> (the caller's buffer), which is then written as is. Batches are
    /// checked first (framing, magic 2, CRC-32C, size); if any is invalid nothing is written.
    /// Returns when the batches are written to the OS; <see cref="AppendResult.Durable"/> completes when they are
    /// durable under the fsync policy.
    /// </summary>
    /// <exception cref="InvalidRecordBatchException">A batch is malformed; nothing was stored.</exception>
    /// <exception cref="DiskFullException">No space; nothing was stored and the log stays online.</exception>
    /// <exception cref="LogOfflineException">A write failed; the log is offline.</exception>
    public AppendResult Append(Span<byte> batches)
    {
        var options = Options;
        var totalSize = ValidateBatches(batches, options);
        AppendResult result;
        var startFlusher = false;
        var published = false;
        lock (_lock)
        {
            ThrowIfUnavailable();
            var active = _segments[^1];
            var lastOffset = AssignOffsets(batches, _nextOffset);
            if (ShouldRoll(active, totalSize, lastOffset, options))
            {
                active = Roll(); // the log end does not move, so the offsets just assigned stay right
            }
            var baseOffset = _nextOffset;
            try
            {
                active.Append(batches, options.IndexIntervalBytes);
            }
            catch (DiskFullException)
            {
                throw; // the segment rolled its file back; nothing was stored
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                GoOffline(e);
                throw new LogOfflineException($"Append to {Directory} failed: {e.Message}", e);
            }
            _nextOffset = lastOffset + 1;
            Task durable;
            if (options.Fsync == FsyncPolicy.Always)
            {
                durable = AwaitNextFlush(out startFlusher);
            }
            else
            {
                published = PublishVisible(_nextOffset, active, active.Size);
                durable = Task.CompletedTask;
                _bytesSinceWriteback += totalSize;
                if (_bytesSinceWriteback >= options.WritebackBytes)
                {
                    // A group commit round nobody waits for: it runs on the fsync threads, outside this lock.
                    _bytesSinceWriteback = 0;
                    _ = AwaitNextFlush(out startFlusher);
                }
            }
            result = new AppendResult(new Offset(baseOffset), new Offset(lastOffset), durable);
        }
        StartFlusherIf(startFlusher);
        if (published)
        {
            ReadableChanged?.Invoke();
        }
        return result;
    }

    /// <summary>
    /// Forces appended data to disk now (used by the interval flusher and by tests). Returns when every append
    /// before the call is durable.
    /// </summary>
    public Task FlushAsync()
    {
        Task flushed;
        var startFlusher = false;
        lock (_lock)
        {
            ThrowIfUnavailable();
            // Joining the next round also covers data an fsync in progress is already writing.
            flushed = _nextOffset > _durableOffset ? AwaitNextFlush(out startFlusher) : Task.CompletedTask;
        }
        StartFlusherIf(startFlusher);
        return flushed;
    }

    private static int ValidateBatches(ReadOnlySpan<byte> batches, LogOptions options)
    {
        if (batches.IsEmpty)
        {
            throw new InvalidRecordBatchException("An append must carry at least one batch.");
        }
        var p = 0;
        while (p < batches.Length)
        {
            if (!RecordBatchHeader.TryRead(batches[p..], out var header))
            {
                throw new InvalidRecordBatchException($"Truncated batch header at byte {p}.");
            }
            var problem = BatchScanner.CheckHeader(header, batches.Length - p, -1, false);
            if (problem != ScanStop.None)
            {
                throw new InvalidRecordBatchException(problem == ScanStop.Incomplete
                    ? $"Batch at byte {p} claims {header.TotalSize} bytes but only {batches.Length - p} remain."
                    : $"Batch at byte {p} is not a valid v2 record batch (magic {header.Magic}).");
            }
            var size = (int)header.TotalSize;
            if (size > options.SegmentSizeBytes)
            {
                throw new InvalidRecordBatchException($"Batch of {size} bytes exceeds the segment size {options.SegmentSizeBytes}.");
            }
            if (!RecordBatch.IsCrcValid(batches.Slice(p, size)))
            {
                throw new InvalidRecordBatchException($"Batch at byte {p} fails its CRC-32C check.");
            }
            p += size;
        }
        return p;
    }

    /// <summary>Writes consecutive base offsets into the batches; returns the last offset they cover.</summary>
    private static long AssignOffsets(Span<byte> batches, long next)
    {
        var p = 0;
        while (p < batches.Length)
        {
            RecordBatchHeader.TryRead(batches[p..], out var header);
            var size = (int)header.TotalSize;
            var lastDelta = header.LastOffsetDelta;
            RecordBatch.SetBaseOffset(batches[p..], next);
            next += lastDelta + 1L;
            p += size;
        }
        return next - 1;
    }

    private bool ShouldRoll(LogSegment active, int appendSize, long lastOffset, LogOptions options)
    {
        if (active.IsEmpty)
        {
            return false;
        }
        if (active.Size + appendSize > options.SegmentSizeBytes || lastOffset - active.BaseOffset > int.MaxValue)
        {
            return true;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        return active.RollBaseTimestamp >= 0 && now - active.RollBaseTimestamp >= (long)options.SegmentMaxAge.TotalMilliseconds;
    }

    /// <summary>
    /// Seals the active segment and starts a new one at the log end. The sealed segment's data and indexes are
    /// fsynced before the new file exists, so recovery may trust every sealed segment's index; the directory is
    /// synced so the new segment survives power loss. Caller holds <c>_lock</c>.
    /// </summary>
    private LogSegment Roll()
    {
        var old = _segments[^1];
        LogSegment created;
        try
        {
            old.Flush();
            _durableOffset = _nextOffset; // everything so far is in the segment just flushed
            _bytesSinceWriteback = 0;
            old.WriteIndexes();
            created = LogSegment.Create(_device, Directory, _nextOffset);
            created.RollBaseTimestamp = -1;
            _device.SyncDirectory(Directory);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            GoOffline(e);
            throw new LogOfflineException($"Rolling a segment of {Directory} failed: {e.Message}", e);
        }
        var segments = new LogSegment[_segments.Length + 1];
        _segments.CopyTo(segments, 0);
        segments[^1] = created;
        Volatile.Write(ref _segments, segments);
        _logger.LogDebug("Rolled {Directory} to a new segment at offset {Offset}", Directory, _nextOffset);
        return created;
    }

    /// <summary>
    /// Joins the next group commit. Caller holds <c>_lock</c>; when <paramref name="startFlusher"/> comes back true
    /// it must call <see cref="StartFlusherIf"/> after releasing the lock, so the fsync thread never wakes up only to
    /// wait for a lock the appender still holds.
    /// </summary>
    private Task AwaitNextFlush(out bool startFlusher)
    {
        _pendingFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        startFlusher = !_flusherRunning;
        _flusherRunning = true;
        return _pendingFlush.Task;
    }

    private void StartFlusherIf(bool start)
    {
        if (start)
        {
            FlushThreads.Schedule(this);
        }
    }

    /// <summary>
    /// One group commit: take every append waiting so far, fsync once outside the lock, publish the new high
    /// watermark, complete the waiters and raise <see cref="ReadableChanged"/> once for all of them. Appends keep
    /// writing to the page cache while the fsync runs and the next round covers all of them: one fsync per round,
    /// not per append. Runs on <see cref="FlushThreads"/>; returns
    /// true when appends are already waiting for another round (the log is then scheduled again).
    /// </summary>
    internal bool RunOneGroupCommit()
    {
        TaskCompletionSource waiters;
        LogSegment active;
        long offset, position;
        lock (_lock)
        {
            if (_pendingFlush is null || _offlineCause is not null || _closed)
            {
                _flusherRunning = false;
                return false;
            }
            waiters = _pendingFlush;
            _pendingFlush = null;
            active = _segments[^1];
            offset = _nextOffset;
            position = active.Size;
            if (!active.TryAcquire())
            {
                _flusherRunning = false;
                waiters.TrySetException(new LogClosedException($"Log {Directory} was closed."));
                return false;
            }
        }
        try
        {
            active.Flush();
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                GoOffline(e);
                _flusherRunning = false;
            }
            waiters.TrySetException(new LogOfflineException($"fsync of {Directory} failed: {e.Message}", e));
            ReadableChanged?.Invoke();
            return false;
        }
        finally
        {
            active.Release();
        }
        bool more, published;
        lock (_lock)
        {
            published = PublishVisible(offset, active, position);
            _durableOffset = Math.Max(_durableOffset, offset);
            more = _pendingFlush is not null;
            _flusherRunning = more;
        }
        waiters.TrySetResult();
        if (published)
        {
            ReadableChanged?.Invoke();
        }
        return more;
    }

    /// <summary>Completes or fails whatever waits for a flush (close, offline). Caller holds <c>_lock</c>.</summary>
    private void CompletePendingFlush(Exception? error)
    {
        var pending = _pendingFlush;
        if (pending is null)
        {
            return;
        }
        _pendingFlush = null;
        if (error is null)
        {
            pending.TrySetResult();
        }
        else
        {
            pending.TrySetException(error);
        }
    }
}
