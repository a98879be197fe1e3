using Herald.Primitives.Records;
using Herald.Storage;
using Herald.Storage.Log;

namespace Herald.Broker.Streams;

/// <summary>
/// Redis streams' own state (deletions, trims, XSETID, consumer groups, consumers and pending entries) in the
/// internal compacted log <see cref="LogName"/>: one record per changed fact, key = the fact's identity, value = its
/// whole current state, a null value deletes it (layouts in <see cref="StreamStateRecords"/> and
/// docs/storage-format.md). Compaction keeps the newest record per key, so replay is "last value per key wins".
///
/// Every command's changes go in one batch (atomic across a crash) and the command answers when it is durable under
/// the fsync policy. Batches from many commands share the log's group commit: a thousand XACKs in flight cost one
/// fsync, not a thousand. Thread-safety: appends are serialized by a lock around the shared batch builder.
/// </summary>
internal sealed class StreamStateLog
{
    public const string LogName = "__redis_streams";

    private readonly Lock _appendLock = new();
    private readonly RecordBatchBuilder _builder = new();
    private readonly TimeProvider _clock;
    private PartitionLog? _log;

    public StreamStateLog(TimeProvider clock) => _clock = clock;

    public void Open(StorageEngine storage)
    {
        var options = storage.DefaultLogOptions with
        {
            Cleanup = CleanupPolicy.Compact,
            RetentionTime = null,
            RetentionBytes = null,
            SegmentSizeBytes = 64L * 1024 * 1024,
        };
        _log = storage.OpenLog(LogName, options);
    }

    private PartitionLog Log => _log ?? throw new InvalidOperationException("The stream state log is not open.");

    /// <summary>
    /// Appends <paramref name="changes"/> as one batch; the task completes when it is durable. The caller holds the
    /// stream's lock, so a stream's changes reach the log in the order they were made in memory.
    /// </summary>
    public Task Append(List<KeyValuePair<byte[], byte[]?>> changes)
    {
        if (changes.Count == 0)
        {
            return Task.CompletedTask;
        }
        lock (_appendLock)
        {
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            _builder.Reset(now);
            foreach (var (key, value) in changes)
            {
                _builder.Add(_builder.RecordCount, now, key, keyIsNull: false, value, valueIsNull: value is null,
                    headerCount: 0, encodedHeaders: default);
            }
            // The builder's buffer is ours under the lock and the log copies the batch before Append returns, so the
            // batch is appended in place (Append stamps its offset and CRC into it) instead of copied to a new array.
            return Log.Append(_builder.Build()).Durable;
        }
    }

    /// <summary>Replays the log: the newest value of every key still present (deleted keys are left out).</summary>
    public Dictionary<byte[], byte[]> Replay()
    {
        var latest = new Dictionary<byte[], byte[]>(Herald.Primitives.ByteContentComparer.Instance);
        var log = Log;
        log.ReplayRecords(log.LogStartOffset, (in RecordBatchHeader _, Record record) =>
        {
            if (record.ValueIsNull)
            {
                latest.Remove(record.Key.ToArray());
            }
            else
            {
                latest[record.Key.ToArray()] = record.Value.ToArray();
            }
        }, bufferBytes: 256 * 1024);
        return latest;
    }
}
