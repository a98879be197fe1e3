using System.Buffers;
using Herald.Broker.Topics;
using Herald.Primitives;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// Fetch (key 1), v4-12 (v4 is librdkafka's MsgVer2 minimum; 13+ addresses topics by id, left until clients need
/// it). Records are the stored bytes: each partition's slice is copied once from the log into a pooled buffer that
/// the response holds until it is encoded (<see cref="FetchLease"/>); nothing is decoded or converted.
///
/// Limits, as Kafka (KIP-74): the request's <c>max_bytes</c> and each partition's <c>partition_max_bytes</c> bound
/// what is returned, except that the first batch found is returned whole however large, so a big record never
/// stalls a consumer. Long polling: while fewer than <c>min_bytes</c> are available and <c>max_wait_ms</c> has not
/// passed, the fetch waits on the partitions' <see cref="Partition.DataArrived"/> signals (no thread per waiter),
/// re-reading when one fires; any partition error answers at once. No transactions exist yet, so the last stable
/// offset is the high watermark and the aborted list is empty, which read_committed consumers (librdkafka's and
/// kafkajs's default) need to see data at all. Fetch sessions (KIP-227) are not kept: a request for a new session
/// (id 0, epoch 0) or none (epoch -1) gets session id 0, which tells clients to keep sending full fetches; an
/// unknown session id gets FETCH_SESSION_ID_NOT_FOUND.
/// </summary>
internal sealed class FetchHandler() : KafkaApiHandler<FetchRequest>(ApiKey.Fetch, new VersionRange(4, 12))
{
    private const sbyte ReadCommitted = 1;

    /// <summary>Stands in for the signal of a partition that does not exist (such a fetch never waits anyway).</summary>
    private static readonly Task Never = new TaskCompletionSource().Task;

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, FetchRequest request)
    {
        if (request.SessionId != 0 || request.SessionEpoch is not (-1 or 0))
        {
            return KafkaReply.Ready(new FetchResponse
            {
                ErrorCode = (short)(request.SessionId != 0 ? ErrorCode.FetchSessionIdNotFound : ErrorCode.InvalidFetchSessionEpoch),
            });
        }
        var partitions = Resolve(context, request);
        var signals = CaptureSignals(partitions);
        var (response, lease, bytes, failed) = ReadOnce(request, partitions);
        var waitMs = request.MaxWaitMs;
        if (failed || bytes >= request.MinBytes || waitMs <= 0 || partitions.Length == 0)
        {
            return KafkaReply.Ready(response, lease);
        }
        lease.Dispose();
        var deadline = context.Clock.GetTimestamp() + (long)(waitMs * (context.Clock.TimestampFrequency / 1000.0));
        return KafkaReply.Later(LongPollAsync(context, request, partitions, signals, deadline));
    }

    private static async Task<KafkaResponse> LongPollAsync(KafkaRequestContext context, FetchRequest request,
        Partition?[] partitions, Task[] signals, long deadline)
    {
        var clock = context.Clock;
        while (true)
        {
            var remaining = clock.GetElapsedTime(clock.GetTimestamp(), deadline);
            if (remaining > TimeSpan.Zero && !context.Closing.IsCancellationRequested)
            {
                try
                {
                    await Task.WhenAny(signals).WaitAsync(remaining, clock, context.Closing);
                }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                {
                    // Time is up (or the connection is closing): answer with whatever there is now.
                }
            }
            signals = CaptureSignals(partitions);
            var (response, lease, bytes, failed) = ReadOnce(request, partitions);
            if (failed || bytes >= request.MinBytes || clock.GetTimestamp() >= deadline || context.Closing.IsCancellationRequested)
            {
                return new KafkaResponse(response, lease);
            }
            lease.Dispose();
        }
    }

    /// <summary>The requested partitions in request order (null where the topic or partition does not exist).</summary>
    private static Partition?[] Resolve(KafkaRequestContext context, FetchRequest request)
    {
        var count = 0;
        foreach (var topic in request.Topics)
        {
            count += topic.Partitions.Count;
        }
        var resolved = new Partition?[count];
        var i = 0;
        foreach (var requested in request.Topics)
        {
            context.Broker.Topics.TryGet(requested.Topic, out var topic);
            foreach (var partition in requested.Partitions)
            {
                resolved[i++] = topic?.GetPartition(partition.Partition);
            }
        }
        return resolved;
    }

    /// <summary>Takes each partition's data signal; done before reading so an append in between is not missed.</summary>
    private static Task[] CaptureSignals(Partition?[] partitions)
    {
        var signals = new Task[partitions.Length];
        for (var i = 0; i < partitions.Length; i++)
        {
            signals[i] = partitions[i]?.DataArrived ?? Never;
        }
        return signals;
    }

    private static (FetchResponse Response, FetchLease Lease, long Bytes, bool Failed) ReadOnce(FetchRequest request, Partition?[] partitions)
    {
        var response = new FetchResponse();
        var lease = new FetchLease();
        var remaining = request.MaxBytes > 0 ? (long)request.MaxBytes : int.MaxValue;
        long total = 0;
        var failed = false;
        var i = 0;
        foreach (var requested in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = requested.Topic, TopicId = requested.TopicId };
            response.Responses.Add(topicResponse);
            foreach (var fetch in requested.Partitions)
            {
                var data = new FetchResponse.PartitionData
                {
                    PartitionIndex = fetch.Partition,
                    HighWatermark = -1,
                    LastStableOffset = -1,
                    LogStartOffset = -1,
                    AbortedTransactions = request.IsolationLevel == ReadCommitted ? [] : null,
                    Records = ReadOnlyMemory<byte>.Empty,
                };
                topicResponse.Partitions.Add(data);
                var partition = partitions[i++];
                var error = partition is null
                    ? TopicError.UnknownTopicOrPartition
                    : Read(partition, fetch, remaining, minOneBatch: total == 0, lease, data);
                if (error != TopicError.None)
                {
                    data.ErrorCode = KafkaErrors.From(error);
                    data.Records = ReadOnlyMemory<byte>.Empty;
                    failed = true;
                    continue;
                }
                var length = data.Records!.Value.Length;
                total += length;
                remaining -= length;
            }
        }
        return (response, lease, total, failed);
    }

    private static TopicError Read(Partition partition, FetchRequest.FetchPartition fetch, long remaining, bool minOneBatch,
        FetchLease lease, FetchResponse.PartitionData data)
    {
        var limit = (int)Math.Min(fetch.PartitionMaxBytes, remaining);
        if (limit > 0 || minOneBatch)
        {
            var error = partition.TryRead(new Offset(fetch.FetchOffset), Math.Max(limit, 1), out var slice);
            if (error != TopicError.None)
            {
                return error;
            }
            using (slice)
            {
                if (!slice.IsEmpty && (slice.Length <= limit || minOneBatch))
                {
                    var buffer = lease.Rent(slice.Length);
                    error = Partition.TryCopy(slice, buffer, out var whole);
                    if (error != TopicError.None)
                    {
                        return error;
                    }
                    data.Records = buffer.AsMemory(0, whole);
                }
            }
        }
        // Read after the data, so the high watermark is never below the records returned.
        var highWatermark = partition.HighWatermark.Value;
        data.HighWatermark = highWatermark;
        data.LastStableOffset = highWatermark;
        data.LogStartOffset = partition.LogStartOffset.Value;
        return TopicError.None;
    }

    /// <summary>
    /// The pooled buffers one fetch response's records live in. Rented while reading; returned by the connection
    /// right after the response is encoded (or when it is dropped). Not thread-safe; used by one response.
    /// </summary>
    private sealed class FetchLease : IDisposable
    {
        private List<byte[]>? _buffers;

        public byte[] Rent(int size)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            (_buffers ??= []).Add(buffer);
            return buffer;
        }

        public void Dispose()
        {
            if (_buffers is null)
            {
                return;
            }
            foreach (var buffer in _buffers)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            _buffers = null;
        }
    }
}
