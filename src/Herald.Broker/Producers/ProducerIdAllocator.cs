using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Herald.Storage.Metadata;

namespace Herald.Broker.Producers;

/// <summary>
/// Hands out producer ids (Kafka's InitProducerId). Ids must never repeat, not even across restarts: a new
/// producer given an old producer's id would have its first batches taken for that producer's duplicates. So ids
/// are reserved in blocks of <see cref="BlockSize"/> (as Kafka's controller hands brokers blocks of 1000): the end
/// of the current block is written to the metadata store under <c>producer-ids/next-block</c> and made durable
/// <em>before</em> any id of the block is handed out. A restart starts at the stored end, skipping what was left of
/// the old block, which costs at most <see cref="BlockSize"/> ids per restart out of 2^63.
///
/// Thread-safe: allocations are serialized by one async lock (a block write takes one metadata round trip, the
/// other 999 allocations none).
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim needs disposing only once its AvailableWaitHandle is used; it never is.")]
public sealed class ProducerIdAllocator
{
    public const int BlockSize = 1000;
    private const string NextBlockKey = "producer-ids/next-block";

    private readonly MetadataStore _metadata;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _next;
    private long _blockEnd;

    public ProducerIdAllocator(MetadataStore metadata)
    {
        _metadata = metadata;
        _next = metadata.TryGet(NextBlockKey, out var stored) && stored.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(stored) : 0;
        _blockEnd = _next; // nothing reserved yet in this process
    }

    /// <summary>A producer id no one has had before on this node; durable before it is returned.</summary>
    public async Task<long> AllocateAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_next == _blockEnd)
            {
                var end = _blockEnd + BlockSize;
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(bytes, end);
                await _metadata.PutAsync(NextBlockKey, bytes, cancellationToken);
                _blockEnd = end;
            }
            return _next++;
        }
        finally
        {
            _lock.Release();
        }
    }
}
