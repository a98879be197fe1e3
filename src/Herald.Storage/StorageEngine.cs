using System.Collections.Concurrent;
using Herald.Storage.IO;
using Herald.Storage.Log;
using Herald.Storage.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Storage;

/// <summary>
/// The storage engine of one Herald node: owns the data directory, the metadata store and every open log, and runs
/// their background work (interval fsyncs, retention, compaction). Layout of the data directory:
/// <code>
/// data/
///   clean-shutdown        present only while the engine is closed after a clean shutdown
///   metadata/             the metadata store's log (MetadataStore)
///   logs/&lt;name&gt;/          one directory per log, named by LogNames
/// </code>
/// The broker decides which logs exist (from the metadata) and opens them with their settings; the engine keeps
/// no list of its own beyond what is open.
///
/// Lifetime: <see cref="Open"/> at start, <see cref="DisposeAsync"/> at shutdown (flushes every log, then writes
/// the clean-shutdown marker). Thread-safe.
/// </summary>
public sealed class StorageEngine : IAsyncDisposable
{
    private const string CleanShutdownMarker = "clean-shutdown";
    private const string LogsDirectoryName = "logs";
    private const string MetadataDirectoryName = "metadata";

    /// <summary>Logs closed at once during shutdown: enough to keep the disk's queue busy, few enough threads.</summary>
    private const int ParallelCloses = 16;

    private readonly StorageEngineOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PartitionLog> _logs = new(StringComparer.Ordinal);
    private readonly object _openLock = new();
    private readonly ITimer _maintenanceTimer;
    private readonly ITimer _flushTimer;
    private int _maintenanceRunning;
    private bool _disposed;

    private StorageEngine(StorageEngineOptions options, ILoggerFactory loggerFactory, bool cleanShutdown,
        MetadataStore metadata)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<StorageEngine>();
        WasCleanShutdown = cleanShutdown;
        Metadata = metadata;
        var clock = options.Clock;
        _maintenanceTimer = clock.CreateTimer(_ => RunMaintenance(), null, options.MaintenanceInterval,
            options.MaintenanceInterval);
        var flushInterval = options.DefaultLogOptions.FsyncInterval;
        _flushTimer = clock.CreateTimer(_ => FlushIntervalLogs(), null, flushInterval, flushInterval);
    }

    public string DataDirectory => _options.DataDirectory;

    /// <summary>True when the previous run closed the engine cleanly (logs skip the full tail scan).</summary>
    public bool WasCleanShutdown { get; }

    public MetadataStore Metadata { get; }

    public LogOptions DefaultLogOptions => _options.DefaultLogOptions;

    /// <summary>Logs currently open, by name.</summary>
    public IReadOnlyDictionary<string, PartitionLog> OpenLogs => _logs;

    /// <summary>Open logs that refuse service because they found corruption, with the reason.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> DamagedLogs =>
        _logs.Where(pair => pair.Value.DamageReason is not null)
            .Select(pair => KeyValuePair.Create(pair.Key, pair.Value.DamageReason!)).ToList();

    /// <summary>
    /// Opens the data directory, creating it if needed, and replays the metadata store. Throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the directory is unusable and
    /// <see cref="LogDamagedException"/> when the metadata store is damaged.
    /// </summary>
    public static StorageEngine Open(StorageEngineOptions options, ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var device = options.Device;
        var root = options.DataDirectory;
        device.CreateDirectoryDurably(Path.Combine(root, LogsDirectoryName));
        var marker = Path.Combine(root, CleanShutdownMarker);
        var cleanShutdown = device.FileExists(marker);
        if (cleanShutdown)
        {
            // From now on the directory is in use: a crash must not look like a clean shutdown.
            device.DeleteFile(marker);
            device.SyncDirectory(root);
        }
        var logger = loggerFactory.CreateLogger<StorageEngine>();
        logger.LogInformation("Storage engine opening {Directory} after {Kind} shutdown (fsync policy {Policy})",
            root, cleanShutdown ? "a clean" : "an unclean or first", options.DefaultLogOptions.Fsync);
        var metadata = MetadataStore.Open(device, Path.Combine(root, MetadataDirectoryName), options.Clock,
            cleanShutdown, loggerFactory.CreateLogger<MetadataStore>());
        return new StorageEngine(options, loggerFactory, cleanShutdown, metadata);
    }

    /// <summary>Names of the logs that exist on disk, open or not.</summary>
    public IReadOnlyList<string> ListStoredLogs()
    {
        var names = new List<string>();
        foreach (var directory in _options.Device.ListDirectories(Path.Combine(DataDirectory, LogsDirectoryName)))
        {
            if (LogNames.TryFromDirectoryName(directory, out var name))
            {
                names.Add(name);
            }
        }
        return names;
    }

    /// <summary>Opens (creating if needed) the log called <paramref name="name"/>, or returns it if already open.</summary>
    public PartitionLog OpenLog(string name, LogOptions? options = null)
    {
        if (_logs.TryGetValue(name, out var open))
        {
            return open;
        }
        lock (_openLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_logs.TryGetValue(name, out open))
            {
                return open;
            }
            var directory = Path.Combine(DataDirectory, LogsDirectoryName, LogNames.ToDirectoryName(name));
            var log = PartitionLog.Open(_options.Device, directory, options ?? _options.DefaultLogOptions, _options.Clock,
                WasCleanShutdown, _options.Codecs, _loggerFactory.CreateLogger<PartitionLog>());
            _logs[name] = log;
            return log;
        }
    }

    public PartitionLog? TryGetLog(string name) => _logs.GetValueOrDefault(name);

    /// <summary>Closes the log and deletes its data.</summary>
    public async Task DeleteLogAsync(string name)
    {
        PartitionLog? log;
        lock (_openLock)
        {
            _logs.TryRemove(name, out log);
        }
        if (log is not null)
        {
            await log.DeleteAsync();
            return;
        }
        var directory = Path.Combine(DataDirectory, LogsDirectoryName, LogNames.ToDirectoryName(name));
        if (_options.Device.DirectoryExists(directory))
        {
            _options.Device.DeleteDirectory(directory);
            _options.Device.SyncDirectory(Path.Combine(DataDirectory, LogsDirectoryName));
        }
    }

    /// <summary>One pass of retention and compaction over every open log and the metadata store.</summary>
    public void RunMaintenance()
    {
        if (Interlocked.Exchange(ref _maintenanceRunning, 1) == 1)
        {
            return;
        }
        try
        {
            foreach (var (name, log) in _logs)
            {
                try
                {
                    log.ApplyRetention();
                    log.Compact();
                }
                catch (StorageException e)
                {
                    _logger.LogWarning("Maintenance of log {Name} skipped: {Message}", name, e.Message);
                }
            }
            Metadata.Compact();
        }
        finally
        {
            Volatile.Write(ref _maintenanceRunning, 0);
        }
    }

    private void FlushIntervalLogs()
    {
        foreach (var (name, log) in _logs)
        {
            if (log.Options.Fsync == FsyncPolicy.Interval && log.IsHealthy)
            {
                try
                {
                    _ = log.FlushAsync();
                }
                catch (StorageException e)
                {
                    _logger.LogWarning("Interval flush of log {Name} failed: {Message}", name, e.Message);
                }
            }
        }
    }

    /// <summary>Flushes and closes every log and the metadata store, then marks the shutdown clean.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_openLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        await _maintenanceTimer.DisposeAsync();
        await _flushTimer.DisposeAsync();
        // Closing a log waits on the disk a few times (fsync of the active segment, its indexes, the directory), so
        // 10,000 partitions closed one after another took minutes (bench/run kafka, scale case). The closes are
        // independent of each other; side by side, the filesystem commits their fsyncs together.
        var unhealthy = 0;
        await Parallel.ForEachAsync(_logs.Values, new ParallelOptions { MaxDegreeOfParallelism = ParallelCloses },
            async (log, _) =>
            {
                if (!log.IsHealthy)
                {
                    Volatile.Write(ref unhealthy, 1);
                }
                await log.DisposeAsync();
            });
        var allHealthy = unhealthy == 0;
        _logs.Clear();
        await Metadata.DisposeAsync();
        if (allHealthy)
        {
            var device = _options.Device;
            var marker = Path.Combine(DataDirectory, CleanShutdownMarker);
            using (var file = device.Open(marker, FileOpenMode.OpenOrCreate))
            {
                file.Flush();
            }
            device.SyncDirectory(DataDirectory);
        }
        _logger.LogInformation("Storage engine closed {Directory}", DataDirectory);
    }
}
