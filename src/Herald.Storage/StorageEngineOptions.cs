using Herald.Storage.Compression;
using Herald.Storage.IO;
using Herald.Storage.Log;

namespace Herald.Storage;

/// <summary>Settings of a <see cref="StorageEngine"/>. Everything has a default but the data directory.</summary>
public sealed record StorageEngineOptions
{
    public required string DataDirectory { get; init; }

    public IStorageDevice Device { get; init; } = FileStorageDevice.Instance;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public CompressionCodecs Codecs { get; init; } = CompressionCodecs.Default;

    /// <summary>Settings for logs opened without their own (the server's fsync policy and segment size land here).</summary>
    public LogOptions DefaultLogOptions { get; init; } = LogOptions.Default;

    /// <summary>How often retention and compaction run (Kafka's <c>log.retention.check.interval.ms</c> is 5 min).</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(1);
}
