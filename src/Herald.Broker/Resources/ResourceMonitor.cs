using Microsoft.Extensions.Logging;

namespace Herald.Broker.Resources;

/// <summary>What the last check measured, and the limits it compared with.</summary>
/// <param name="MemoryUsedBytes">The process's resident memory (RSS), RabbitMQ's default way of measuring.</param>
/// <param name="MemoryLimitBytes">The high watermark in bytes.</param>
/// <param name="DiskFreeBytes">Free space on the data directory's filesystem available to this process; -1 when unknown.</param>
/// <param name="DiskFreeLimitBytes">The disk free limit.</param>
/// <param name="Alarms">The alarms in effect after the check.</param>
public readonly record struct ResourceUsage(
    long MemoryUsedBytes, long MemoryLimitBytes, long DiskFreeBytes, long DiskFreeLimitBytes, ResourceAlarm Alarms);

/// <summary>
/// RabbitMQ's memory and disk monitors for the whole node: every <c>interval</c> it compares the process's resident
/// memory with the <see cref="MemoryHighWatermark"/> and the free space of the data directory's filesystem with the
/// disk free limit, and raises or clears the matching <see cref="ResourceAlarm"/> in <see cref="ResourceAlarms"/>,
/// with one log line per change. A check costs two small reads from the OS (no allocation worth noting), so it runs
/// every second; above the watermark it may also force a garbage collection (see <see cref="MeasureMemory"/>). The limits can change at run time (RabbitMQ's <c>rabbitmqctl set_vm_memory_high_watermark</c> and
/// <c>set_disk_free_limit</c>); a change is checked at once. Thread-safe.
/// </summary>
public sealed class ResourceMonitor : IAsyncDisposable
{
    /// <summary>Least time between two full collections the monitor forces (see <see cref="MeasureMemory"/>).</summary>
    private static readonly TimeSpan CollectInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly ResourceAlarms _alarms;
    private readonly string _dataDirectory;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private MemoryHighWatermark _memoryHighWatermark;
    private long _diskFreeLimitBytes;
    private ResourceUsage _last;
    private bool _diskUnreadableLogged;
    private long _lastCollectTimestamp;
    private Task? _loop;

    public ResourceMonitor(ResourceAlarms alarms, string dataDirectory, MemoryHighWatermark memoryHighWatermark, long diskFreeLimitBytes,
        TimeProvider clock, ILogger<ResourceMonitor> logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(diskFreeLimitBytes);
        _alarms = alarms;
        _dataDirectory = dataDirectory;
        _memoryHighWatermark = memoryHighWatermark;
        _diskFreeLimitBytes = diskFreeLimitBytes;
        _clock = clock;
        _logger = logger;
    }

    public ResourceAlarms Alarms => _alarms;

    public MemoryHighWatermark MemoryHighWatermark
    {
        get
        {
            lock (_lock)
            {
                return _memoryHighWatermark;
            }
        }
    }

    public long DiskFreeLimitBytes => Interlocked.Read(ref _diskFreeLimitBytes);

    /// <summary>The last check's figures.</summary>
    public ResourceUsage Usage
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    /// <summary>Checks once now, then every <paramref name="interval"/> until disposed.</summary>
    public void Start(TimeSpan interval)
    {
        Check();
        _loop = LoopAsync(interval, _stop.Token);
    }

    /// <summary>Changes the memory high watermark and checks at once.</summary>
    public ResourceUsage SetMemoryHighWatermark(MemoryHighWatermark watermark)
    {
        ArgumentNullException.ThrowIfNull(watermark);
        lock (_lock)
        {
            _memoryHighWatermark = watermark;
        }
        _logger.LogInformation("memory high watermark set to {Watermark}", watermark);
        return Check();
    }

    /// <summary>Changes the disk free limit and checks at once.</summary>
    public ResourceUsage SetDiskFreeLimit(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Exchange(ref _diskFreeLimitBytes, bytes);
        _logger.LogInformation("disk free limit set to {Limit}", ByteSize.Format(bytes));
        return Check();
    }

    /// <summary>Measures, raises or clears the alarms, and returns what it found.</summary>
    public ResourceUsage Check()
    {
        lock (_lock)
        {
            var memoryLimit = _memoryHighWatermark.LimitBytes(AvailableMemoryBytes());
            var memoryUsed = MeasureMemory(memoryLimit);
            var diskFree = DiskFreeBytes();
            var diskLimit = Interlocked.Read(ref _diskFreeLimitBytes);
            var memoryHigh = memoryUsed > memoryLimit;
            // An unreadable filesystem raises nothing: the storage engine reports its own I/O errors.
            var diskLow = diskFree >= 0 && diskFree < diskLimit;
            if (_alarms.Set(ResourceAlarm.Memory, memoryHigh))
            {
                if (memoryHigh)
                {
                    _logger.LogWarning("memory resource limit alarm set: memory use {Used} is above the high watermark {Limit} ({Watermark}); publishers are blocked until it clears",
                        ByteSize.Approximate(memoryUsed), ByteSize.Approximate(memoryLimit), _memoryHighWatermark);
                }
                else
                {
                    _logger.LogInformation("memory resource limit alarm cleared: memory use {Used} is below the high watermark {Limit}",
                        ByteSize.Approximate(memoryUsed), ByteSize.Approximate(memoryLimit));
                }
            }
            if (_alarms.Set(ResourceAlarm.Disk, diskLow))
            {
                if (diskLow)
                {
                    _logger.LogWarning("disk resource limit alarm set: free disk space {Free} on {Directory} is below the limit {Limit}; publishers are blocked until it clears",
                        ByteSize.Approximate(diskFree), _dataDirectory, ByteSize.Approximate(diskLimit));
                }
                else
                {
                    _logger.LogInformation("disk resource limit alarm cleared: free disk space {Free} is above the limit {Limit}",
                        ByteSize.Approximate(diskFree), ByteSize.Approximate(diskLimit));
                }
            }
            _last = new ResourceUsage(memoryUsed, memoryLimit, diskFree, diskLimit, _alarms.Active);
            return _last;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan interval, CancellationToken cancellation)
    {
        try
        {
            using var timer = new PeriodicTimer(interval, _clock);
            while (await timer.WaitForNextTickAsync(cancellation))
            {
                try
                {
                    Check();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "resource check failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>
    /// Resident memory. The GC keeps memory it freed committed, so resident memory stays high after queues drain and
    /// an alarm would never clear: above the limit, a full compacting collection that returns free memory to the OS
    /// runs first (at most every <see cref="CollectInterval"/>, so a lasting alarm costs one collection per interval),
    /// and only what is still resident after it counts, as RabbitMQ collects garbage when memory runs high.
    /// </summary>
    private long MeasureMemory(long limit)
    {
        var used = Environment.WorkingSet;
        if (used <= limit || (_lastCollectTimestamp != 0 && _clock.GetElapsedTime(_lastCollectTimestamp) < CollectInterval))
        {
            return used;
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _lastCollectTimestamp = _clock.GetTimestamp();
        return Environment.WorkingSet;
    }

    /// <summary>
    /// Memory the process may use: physical memory, or the container's limit when there is one (the GC reads
    /// cgroup limits), as RabbitMQ's <c>total_memory_available</c>.
    /// </summary>
    private static long AvailableMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private long DiskFreeBytes()
    {
        try
        {
            return new DriveInfo(_dataDirectory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            if (!_diskUnreadableLogged)
            {
                _diskUnreadableLogged = true;
                _logger.LogWarning("cannot read free disk space of {Directory}: {Error}; the disk alarm is off until it can", _dataDirectory, e.Message);
            }
            return -1;
        }
    }
}
