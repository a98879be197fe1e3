using System.Text;
using Herald.Primitives.Records;
using Herald.Storage.IO;
using Herald.Storage.Log;
using Microsoft.Extensions.Logging;

namespace Herald.Storage.Metadata;

/// <summary>
/// The single-node metadata store (DESIGN.md section 4): vhosts, exchanges, queues, bindings, topics and their
/// configs, users and permissions, as key/value entries. Each change is a record in a compacted Herald log under
/// <c>data/metadata</c> (key = UTF-8 entry key, value = the entry's bytes, a null value deletes); at start the log
/// is replayed into memory. Writes are fsynced before they return, whatever the data logs' policy, because losing
/// a created queue or topic would orphan acknowledged data. The store only keeps bytes: the broker owns the
/// meaning of keys and the encoding of values.
///
/// Thread-safety: reads are lock-free snapshots; writes are serialized so the in-memory view changes in log order.
/// </summary>
public sealed class MetadataStore : IAsyncDisposable
{
    private static readonly LogOptions StoreLogOptions = new()
    {
        SegmentSizeBytes = 4 * 1024 * 1024,
        Fsync = FsyncPolicy.Always,
        Cleanup = CleanupPolicy.Compact,
        RetentionTime = null,
        DeleteRetention = TimeSpan.Zero,
    };

    private readonly PartitionLog _log;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly RecordBatchBuilder _builder = new();
    private Dictionary<string, byte[]> _entries;

    private MetadataStore(PartitionLog log, TimeProvider clock, Dictionary<string, byte[]> entries)
    {
        _log = log;
        _clock = clock;
        _entries = entries;
    }

    /// <summary>Opens the store and replays it. Throws when its log is damaged: the broker cannot start without it.</summary>
    public static MetadataStore Open(IStorageDevice device, string directory, TimeProvider clock, bool cleanShutdown,
        ILogger logger)
    {
        var log = PartitionLog.Open(device, directory, StoreLogOptions, clock, cleanShutdown, logger: logger);
        if (log.DamageReason is { } reason)
        {
            throw new LogDamagedException($"The metadata store in {directory} is damaged: {reason}");
        }
        var entries = Replay(log);
        return new MetadataStore(log, clock, entries);
    }

    /// <summary>A snapshot of every entry.</summary>
    public IReadOnlyDictionary<string, byte[]> Entries => Volatile.Read(ref _entries);

    public bool TryGet(string key, out byte[] value) => Volatile.Read(ref _entries).TryGetValue(key, out value!);

    /// <summary>Sets or (with a null value) deletes entries, all in one record batch: atomic across a crash.</summary>
    public async Task WriteAsync(IReadOnlyList<KeyValuePair<string, byte[]?>> changes, CancellationToken cancellationToken = default)
    {
        if (changes.Count == 0)
        {
            return;
        }
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            _builder.Reset(now);
            foreach (var (key, value) in changes)
            {
                var keyBytes = Encoding.UTF8.GetBytes(key);
                _builder.Add(_builder.RecordCount, now, keyBytes, keyIsNull: false, value, valueIsNull: value is null,
                    headerCount: 0, encodedHeaders: default);
            }
            var batch = _builder.Build().ToArray();
            var result = _log.Append(batch);
            await result.Durable.WaitAsync(cancellationToken);
            var updated = new Dictionary<string, byte[]>(_entries, StringComparer.Ordinal);
            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    updated.Remove(key);
                }
                else
                {
                    updated[key] = value;
                }
            }
            Volatile.Write(ref _entries, updated);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task PutAsync(string key, byte[] value, CancellationToken cancellationToken = default) =>
        WriteAsync([new KeyValuePair<string, byte[]?>(key, value)], cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        WriteAsync([new KeyValuePair<string, byte[]?>(key, null)], cancellationToken);

    /// <summary>Drops superseded records from the store's log (run by the engine's maintenance).</summary>
    public long Compact() => _log.Compact();

    public ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        return _log.DisposeAsync();
    }

    private static Dictionary<string, byte[]> Replay(PartitionLog log)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        log.ReplayRecords(log.LogStartOffset, (in RecordBatchHeader _, Record record) =>
        {
            var key = Encoding.UTF8.GetString(record.Key);
            if (record.ValueIsNull)
            {
                entries.Remove(key);
            }
            else
            {
                entries[key] = record.Value.ToArray();
            }
        });
        return entries;
    }
}
