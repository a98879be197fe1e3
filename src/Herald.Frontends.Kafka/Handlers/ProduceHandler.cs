using System.Runtime.InteropServices;
using Herald.Broker.Resources;
using Herald.Broker.Topics;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// Produce (key 0). Advertised 0-11 because librdkafka before 2.11 compresses only when Produce 0 is in range
/// (kafka-compatibility.md 1.2, 6.1), but served from v3, the first with v2 record batches: v0-2 get
/// UNSUPPORTED_VERSION per partition, Kafka 4.0's "advertise but reject".
///
/// Two phases (DESIGN.md section 5): each partition's batch is validated and appended here, on the read loop, so
/// batches enter the log in request order and the stored bytes are the received bytes with offsets assigned in
/// place (never decoded, never recompressed). The response waits for durability (acks 1 and -1 alike: the log's
/// fsync policy decides what "written" means) in <see cref="KafkaReply.Later"/>, while the connection reads on.
/// acks=0 gets no response; if any partition failed, the connection is closed instead, as Kafka does, so the
/// producer refreshes its metadata.
/// </summary>
internal sealed class ProduceHandler() : KafkaApiHandler<ProduceRequest>(ApiKey.Produce, new VersionRange(0, 11))
{
    private const short FirstServedVersion = 3;
    private const short FirstZstdVersion = 7;

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, ProduceRequest request)
    {
        var version = context.ApiVersion;
        var topics = context.Broker.Topics;
        var response = new ProduceResponse();
        if (request.Acks is not (0 or 1 or -1))
        {
            return KafkaReply.Ready(FailAll(request, ErrorCode.InvalidRequiredAcks));
        }
        if (context.Connection.Alarms.Active != ResourceAlarm.None)
        {
            return AppendOnceAlarmsClearAsync(context, request);
        }
        List<(ProduceResponse.PartitionProduceResponse Response, Task Durable)>? waiting = null;
        var failed = false;
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            response.Responses.Add(topicResponse);
            topics.TryGet(topicData.Name, out var topic);
            foreach (var partitionData in topicData.PartitionData)
            {
                var partitionResponse = new ProduceResponse.PartitionProduceResponse { Index = partitionData.Index, BaseOffset = -1 };
                topicResponse.PartitionResponses.Add(partitionResponse);
                var durable = Append(version, topic?.GetPartition(partitionData.Index), partitionData.Records, partitionResponse);
                if (partitionResponse.ErrorCode != 0)
                {
                    failed = true;
                }
                else if (!durable.IsCompletedSuccessfully && request.Acks != 0)
                {
                    (waiting ??= []).Add((partitionResponse, durable));
                }
            }
        }
        if (request.Acks == 0)
        {
            return failed ? KafkaReply.Close("a produce with acks=0 failed") : KafkaReply.None;
        }
        if (waiting is null)
        {
            return KafkaReply.Ready(response);
        }
        return KafkaReply.Later(AwaitDurableAsync(response, waiting, TimeSpan.FromMilliseconds(Math.Max(request.TimeoutMs, 0)), context.Clock));
    }

    /// <summary>Appends one partition's batch and fills its response; returns the durability task.</summary>
    private static Task Append(short version, Partition? partition, ReadOnlyMemory<byte>? records,
        ProduceResponse.PartitionProduceResponse response)
    {
        if (version < FirstServedVersion)
        {
            return Fail(response, ErrorCode.UnsupportedVersion, "Produce versions below 3 (message format v0/v1) are not supported.");
        }
        if (partition is null)
        {
            return Fail(response, ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition.");
        }
        if (records is not { Length: > 0 } bytes)
        {
            return Fail(response, ErrorCode.InvalidRecord, "The produce request carries no record batch.");
        }
        if (version < FirstZstdVersion && bytes.Length > RecordBatch.AttributesPosition + 1 &&
            (bytes.Span[RecordBatch.AttributesPosition + 1] & RecordBatch.CompressionMask) == (int)CompressionType.Zstd)
        {
            return Fail(response, ErrorCode.UnsupportedCompressionType, "zstd needs Produce v7 or later.");
        }
        // The request owns its frame's bytes (in the connection's input until the handler is done, or a pooled copy),
        // so writing into them is safe: the log assigns offsets in place and stores exactly these bytes.
        var result = partition.Append(MemoryMarshal.AsMemory(bytes).Span);
        if (result.Error != TopicError.None)
        {
            return Fail(response, (ErrorCode)KafkaErrors.From(result.Error), result.Message);
        }
        response.BaseOffset = result.BaseOffset.Value;
        response.LogAppendTimeMs = result.LogAppendTime;
        response.LogStartOffset = result.LogStartOffset.Value;
        return result.Durable;
    }

    /// <summary>
    /// A produce that arrives while a memory or disk alarm is in effect waits for every alarm to clear before anything
    /// is appended, as RabbitMQ holds back its publishers: the connection reads no further requests meanwhile (its read
    /// loop awaits this handler), so TCP pushes back on the producer. One still waiting at the request's timeout stores
    /// nothing and answers REQUEST_TIMED_OUT for every partition, which producers retry until their delivery timeout;
    /// with acks=0, which has no answer, the connection is closed instead.
    /// </summary>
    private async ValueTask<KafkaReply> AppendOnceAlarmsClearAsync(KafkaRequestContext context, ProduceRequest request)
    {
        var alarms = context.Connection.Alarms;
        var clock = context.Clock;
        var timeout = TimeSpan.FromMilliseconds(Math.Max(request.TimeoutMs, 0));
        var started = clock.GetTimestamp();
        while (alarms.Active != ResourceAlarm.None)
        {
            var left = timeout - clock.GetElapsedTime(started);
            try
            {
                await alarms.WhenCleared.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, clock, context.Closing);
            }
            catch (TimeoutException)
            {
                var reason = $"The broker is {ResourceAlarms.Reason(alarms.Active)}; nothing was stored.";
                return request.Acks == 0
                    ? KafkaReply.Close($"a produce with acks=0 timed out waiting for a resource alarm to clear ({reason})")
                    : KafkaReply.Ready(FailAll(request, ErrorCode.RequestTimedOut, reason));
            }
        }
        return await HandleAsync(context, request);
    }

    private static ProduceResponse FailAll(ProduceRequest request, ErrorCode error, string? message = null)
    {
        var response = new ProduceResponse();
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            response.Responses.Add(topicResponse);
            foreach (var partitionData in topicData.PartitionData)
            {
                topicResponse.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse
                {
                    Index = partitionData.Index,
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                    BaseOffset = -1,
                });
            }
        }
        return response;
    }

    private static Task Fail(ProduceResponse.PartitionProduceResponse response, ErrorCode error, string? message)
    {
        response.ErrorCode = (short)error;
        response.ErrorMessage = message;
        response.BaseOffset = -1;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The second phase: waits until every appended batch is durable, or the request's timeout passes
    /// (REQUEST_TIMED_OUT for what is still waiting; the data stays appended, as in Kafka), or the log fails
    /// (KAFKA_STORAGE_ERROR).
    /// </summary>
    private static async Task<KafkaResponse> AwaitDurableAsync(ProduceResponse response,
        List<(ProduceResponse.PartitionProduceResponse Response, Task Durable)> waiting, TimeSpan timeout, TimeProvider clock)
    {
        var tasks = new Task[waiting.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = waiting[i].Durable;
        }
        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout, clock);
        }
        catch (Exception)
        {
            // Each partition's own task says what happened to it, below.
        }
        foreach (var (partitionResponse, durable) in waiting)
        {
            if (durable.IsCompletedSuccessfully)
            {
                continue;
            }
            var error = durable.IsCompleted ? ErrorCode.KafkaStorageError : ErrorCode.RequestTimedOut;
            partitionResponse.ErrorCode = (short)error;
            partitionResponse.ErrorMessage = durable.Exception?.InnerException?.Message ?? "Timed out waiting for the write to become durable.";
            partitionResponse.BaseOffset = -1;
            partitionResponse.LogAppendTimeMs = -1;
        }
        return new KafkaResponse(response);
    }
}
