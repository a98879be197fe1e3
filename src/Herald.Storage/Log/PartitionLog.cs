using Herald.Primitives;
using Herald.Storage.Compression;
using Herald.Storage.IO;
using Herald.Storage.Recovery;
using Herald.Storage.Segments;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Storage.Log;

/// <summary>
/// A log: an ordered, append-only sequence of Kafka v2 record batches stored in a directory of segments (DESIGN.md
/// section 4; byte layouts in docs/storage-format.md). Topics' partitions, queues, Redis streams and Herald's own
/// metadata are all logs.
///
/// Concurrency: a single writer at a time (appends, rolls and segment-list changes take <c>_lock</c>); any number
/// of lock-free readers, which see data only up to the published <see cref="HighWatermark"/>. Under
/// <see cref="FsyncPolicy.Always"/> the high watermark moves only after the fsync that made the data durable, so a
/// reader can never observe a record that a power loss could take back.
///
/// Lifetime: opened by <see cref="Open"/> (usually through <see cref="StorageEngine"/>), closed by
/// <see cref="DisposeAsync"/>, which flushes and writes the active segment's indexes so the next open can trust them.
/// A log that found corruption at open, or whose write or fsync failed, refuses reads and appends
/// (<see cref="LogDamagedException"/>, <see cref="LogOfflineException"/>); it never repairs by dropping data.
/// </summary>
public sealed partial class PartitionLog : IAsyncDisposable
{
    private const string LogStartCheckpointFile = "log-start-offset";

    private readonly IStorageDevice _device;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private LogOptions _options;
    private LogSegment[] _segments;
    private long _nextOffset;
    private long _logStartOffset;
    private VisibleEnd _visible;
    private string? _damageReason;
    private Exception? _offlineCause;
    private bool _closed;

    private PartitionLog(IStorageDevice device, string directory, LogOptions options, TimeProvider clock,
        CompressionCodecs codecs, ILogger logger, LogSegment[] segments, string? damageReason, long logStart)
    {
        _device = device;
        Directory = directory;
        _options = options;
        _clock = clock;
        Codecs = codecs;
        _logger = logger;
        _segments = segments;
        _damageReason = damageReason;
        if (segments.Length > 0)
        {
            var active = segments[^1];
            _nextOffset = active.NextOffset;
            _logStartOffset = Math.Max(segments[0].BaseOffset, Math.Min(logStart, _nextOffset));
            _visible = new VisibleEnd(_nextOffset, active, active.Size);
            _durableOffset = _nextOffset; // recovery flushed what it found (or the last close did)
        }
        else
        {
            _visible = new VisibleEnd(0, null, 0);
        }
    }

    /// <summary>The log's directory; its name is chosen by <see cref="StorageEngine"/>.</summary>
    public string Directory { get; }

    public LogOptions Options => Volatile.Read(ref _options);

    /// <summary>
    /// Raised each time the high watermark moves (once per group commit under <see cref="FsyncPolicy.Always"/>, once
    /// per append otherwise), and when a group commit fails and the log goes offline, so readers waiting for data
    /// look again at once. Raised outside the log's lock, on the appending thread or on an fsync thread
    /// (<see cref="FlushThreads"/>): handlers must be quick and must not block, or they delay the next group commit.
    /// Broker partitions use it to wake long-polling fetches directly from the fsync that made data visible, without
    /// a hop through a continuation of every append's durability task.
    /// </summary>
    public event Action? ReadableChanged;

    internal CompressionCodecs Codecs { get; }

    /// <summary>The first offset that can be read (Kafka's log start offset).</summary>
    public Offset LogStartOffset => new(Volatile.Read(ref _logStartOffset));

    /// <summary>One past the last appended offset (Kafka's log end offset), durable or not.</summary>
    public Offset NextOffset => new(Volatile.Read(ref _nextOffset));

    /// <summary>One past the last offset readers may see: durable under the fsync policy.</summary>
    public Offset HighWatermark => new(Volatile.Read(ref _visible).Offset);

    /// <summary>Total bytes of all segments.</summary>
    public long SizeInBytes
    {
        get
        {
            long total = 0;
            foreach (var segment in Volatile.Read(ref _segments))
            {
                total += segment.Size;
            }
            return total;
        }
    }

    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>Why the log refuses service after finding corruption, or null while healthy.</summary>
    public string? DamageReason => Volatile.Read(ref _damageReason);

    /// <summary>True when the log serves reads and appends.</summary>
    public bool IsHealthy => DamageReason is null && Volatile.Read(ref _offlineCause) is null && !_closed;

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, recovering from an unclean shutdown as
    /// <see cref="LogRecovery"/> describes. Corruption does not throw: the log opens damaged and says why in
    /// <see cref="DamageReason"/>, so one bad log never stops a broker from starting.
    /// </summary>
    public static PartitionLog Open(IStorageDevice device, string directory, LogOptions options, TimeProvider clock,
        bool cleanShutdown = false, CompressionCodecs? codecs = null, ILogger? logger = null)
    {
        options.Validate();
        logger ??= NullLogger.Instance;
        device.CreateDirectoryDurably(directory);
        var logStart = ReadLogStartCheckpoint(device, directory);
        var recovered = LogRecovery.Recover(device, directory, options, cleanShutdown, logStart, logger);
        if (recovered.Segments.Count > 0 && logStart > recovered.Segments[^1].NextOffset)
        {
            // A power loss took records the checkpoint had already passed (possible under interval/os). The log
            // continues at its real end; a start beyond it would hide the records appended next.
            logStart = recovered.Segments[^1].NextOffset;
            WriteLogStartCheckpoint(device, directory, logStart);
        }
        if (recovered.DamageReason is not null)
        {
            logger.LogError("Log {Directory} is damaged and will not be served until repaired: {Reason}", directory,
                recovered.DamageReason);
        }
        return new PartitionLog(device, directory, options, clock, codecs ?? CompressionCodecs.Default, logger,
            recovered.Segments.ToArray(), recovered.DamageReason, logStart);
    }

    /// <summary>Replaces the log's settings (e.g. after a topic config change); they apply from the next call.</summary>
    public void UpdateOptions(LogOptions options)
    {
        options.Validate();
        Volatile.Write(ref _options, options);
    }

    /// <summary>
    /// Moves the log start forward (Kafka DeleteRecords): offsets below <paramref name="offset"/> become unreadable
    /// and whole segments below it are deleted by the next retention pass. Durable when this returns.
    /// </summary>
    public void AdvanceLogStartOffset(Offset offset)
    {
        lock (_lock)
        {
            ThrowIfUnavailable();
            // Only durable data may be deleted (Kafka: up to the high watermark); a start beyond it could outlive
            // the records it covers after a power loss.
            if (offset.Value > _visible.Offset)
            {
                throw new OffsetOutOfRangeException($"Offset {offset} is beyond the high watermark {_visible.Offset}.");
            }
            if (offset.Value <= _logStartOffset)
            {
                return;
            }
            PersistLogStartOffset(offset.Value);
            Volatile.Write(ref _logStartOffset, offset.Value);
        }
    }

    /// <summary>Writes the log start checkpoint atomically and makes it durable (directory sync included).</summary>
    private void PersistLogStartOffset(long offset) => WriteLogStartCheckpoint(_device, Directory, offset);

    private static void WriteLogStartCheckpoint(IStorageDevice device, string directory, long offset)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes, offset);
        Indexes.IndexFile.WriteAtomically(device, Path.Combine(directory, LogStartCheckpointFile), bytes);
        device.SyncDirectory(directory);
    }

    private static long ReadLogStartCheckpoint(IStorageDevice device, string directory)
    {
        var bytes = Indexes.IndexFile.TryReadAll(device, Path.Combine(directory, LogStartCheckpointFile));
        return bytes is { Length: 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
    }

    /// <summary>
    /// Flushes everything and writes the active segment's indexes, then closes the files. After a close the data
    /// directory is consistent, so the next open may skip scanning the active segment (clean shutdown).
    /// </summary>
    public ValueTask DisposeAsync()
    {
        LogSegment[] segments;
        var published = false;
        lock (_lock)
        {
            if (_closed)
            {
                return ValueTask.CompletedTask;
            }
            _closed = true;
            segments = _segments;
            if (segments.Length > 0 && _damageReason is null && _offlineCause is null)
            {
                try
                {
                    var active = segments[^1];
                    active.Flush();
                    active.WriteIndexes();
                    _device.SyncDirectory(Directory);
                    published = PublishVisible(_nextOffset, active, active.Size);
                    CompletePendingFlush(null);
                }
                catch (IOException e)
                {
                    GoOffline(e);
                }
            }
            CompletePendingFlush(new LogClosedException($"Log {Directory} was closed."));
        }
        if (published)
        {
            ReadableChanged?.Invoke();
        }
        foreach (var segment in segments)
        {
            segment.Close();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the log and deletes its directory (topic or queue deletion).</summary>
    public async ValueTask DeleteAsync()
    {
        await DisposeAsync();
        _device.DeleteDirectory(Directory);
        var parent = Path.GetDirectoryName(Path.GetFullPath(Directory));
        if (parent is not null)
        {
            _device.SyncDirectory(parent);
        }
    }

    private void ThrowIfUnavailable()
    {
        if (_damageReason is { } reason)
        {
            throw new LogDamagedException($"Log {Directory} is damaged: {reason}");
        }
        if (_offlineCause is { } cause)
        {
            throw new LogOfflineException($"Log {Directory} is offline after an I/O error: {cause.Message}", cause);
        }
        if (_closed)
        {
            throw new LogClosedException($"Log {Directory} is closed.");
        }
    }

    /// <summary>Fail-stop after an I/O error (rule H5): nothing more is acknowledged from this log.</summary>
    private void GoOffline(Exception cause)
    {
        if (_offlineCause is not null)
        {
            return;
        }
        _offlineCause = cause;
        _logger.LogError(cause, "Log {Directory} is offline after an I/O error; it stays offline until restart",
            Directory);
        CompletePendingFlush(new LogOfflineException($"Log {Directory} went offline: {cause.Message}", cause));
    }

    /// <summary>Marks the log damaged when a read finds a batch whose CRC no longer matches.</summary>
    internal void MarkDamaged(string reason)
    {
        lock (_lock)
        {
            if (_damageReason is null)
            {
                _damageReason = reason;
                _logger.LogError("Log {Directory} is damaged and will not be served until repaired: {Reason}",
                    Directory, reason);
            }
        }
    }

    /// <summary>Moves the high watermark forward; false when it was already there. Caller holds <c>_lock</c>.</summary>
    private bool PublishVisible(long offset, LogSegment segment, long position)
    {
        if (offset <= Volatile.Read(ref _visible).Offset)
        {
            return false;
        }
        Volatile.Write(ref _visible, new VisibleEnd(offset, segment, position));
        return true;
    }

    /// <summary>
    /// The end of what readers may see: an offset and, for finding it without a scan, the segment and byte position
    /// where it starts. Replaced as a whole so readers always see a consistent triple.
    /// </summary>
    private sealed record VisibleEnd(long Offset, LogSegment? Segment, long Position);
}
