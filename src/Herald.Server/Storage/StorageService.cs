using Herald.Storage;
using Herald.Storage.Log;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Storage;

/// <summary>
/// Owns the data directory and the storage engine for the node's lifetime. <see cref="StartAsync"/> creates the
/// directory if missing, takes its lock (so a second node pointed at the same directory fails fast instead of
/// interleaving writes) and opens the <see cref="StorageEngine"/>; <see cref="StopAsync"/> closes the engine, which
/// flushes every log and marks the shutdown clean, and then releases the lock. The host starts this service before
/// the listeners and stops it after them, so no connection is served without storage and none is still open when
/// it closes. Disposal releases the lock too, for a host that fails part-way through starting.
/// </summary>
internal sealed class StorageService(HeraldOptions options, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<StorageService>();
    private DataDirectoryLock? _lock;
    private StorageEngine? _engine;

    /// <summary>The open engine; throws before start and after stop.</summary>
    public StorageEngine Engine => _engine ?? throw new InvalidOperationException("The storage engine is not open.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _lock = DataDirectoryLock.Acquire(options.DataDirectory);
        try
        {
            _engine = StorageEngine.Open(new StorageEngineOptions
            {
                DataDirectory = Path.GetFullPath(options.DataDirectory),
                DefaultLogOptions = LogOptions.Default with
                {
                    Fsync = options.Fsync,
                    FsyncInterval = options.FsyncInterval,
                    SegmentSizeBytes = options.SegmentSizeBytes,
                },
                MaintenanceInterval = options.RetentionCheckInterval,
            }, loggerFactory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
        {
            Release();
            throw new HeraldStartupException(HeraldStartupError.DataDirectoryUnavailable,
                $"data directory {options.DataDirectory} is unusable: {e.Message}", e);
        }
        _logger.LogInformation(
            "Data directory {DataDirectory} (fsync {Fsync}, segments of {SegmentSizeBytes} bytes)",
            options.DataDirectory, options.Fsync.ToString().ToLowerInvariant(), options.SegmentSizeBytes);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await CloseAsync();

    public async ValueTask DisposeAsync() => await CloseAsync();

    private async Task CloseAsync()
    {
        var engine = Interlocked.Exchange(ref _engine, null);
        if (engine is not null)
        {
            await engine.DisposeAsync();
        }
        Release();
    }

    private void Release()
    {
        _lock?.Dispose();
        _lock = null;
    }
}
