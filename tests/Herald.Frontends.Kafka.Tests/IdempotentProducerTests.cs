using System.Text;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// InitProducerId and the broker's sequence checks on the wire, with hand-built idempotent batches: what a retry, a
/// gap and a fenced epoch are answered with, and that the answers survive a restart.
/// </summary>
public sealed class IdempotentProducerTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    private const short ProduceVersion = 9;

    /// <summary>An idempotent batch of <paramref name="count"/> records "s-SEQ", as a producer with this id and epoch sends it.</summary>
    internal static byte[] Batch(long producerId, short epoch, int baseSequence, int count)
    {
        var builder = new RecordBatchBuilder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        builder.Reset(now, producerId: producerId, producerEpoch: epoch, baseSequence: baseSequence);
        for (var i = 0; i < count; i++)
        {
            builder.Add(now, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"s-{baseSequence + i}"));
        }
        return builder.Build().ToArray();
    }

    internal static async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(RawKafkaClient client, string topic, byte[] batch)
    {
        var response = await client.RequestAsync<ProduceResponse>(ApiKey.Produce, ProduceVersion, Batches.Produce(topic, batch));
        return response.Responses[0].PartitionResponses[0];
    }

    internal static async Task<InitProducerIdResponse> InitProducerIdAsync(RawKafkaClient client, short version, string? transactionalId = null) =>
        await client.RequestAsync<InitProducerIdResponse>(ApiKey.InitProducerId, version,
            new InitProducerIdRequest { TransactionalId = transactionalId, TransactionTimeoutMs = 60000 });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task InitProducerId_gives_a_new_producer_id_with_epoch_zero_at_every_advertised_version(short version)
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var first = await InitProducerIdAsync(client, version);
        var second = await client.RequestAsync<InitProducerIdResponse>(ApiKey.InitProducerId, version, new InitProducerIdRequest
        {
            TransactionalId = null,
            ProducerId = version >= 3 ? first.ProducerId : -1,
            ProducerEpoch = version >= 3 ? first.ProducerEpoch : (short)-1,
        });

        Assert.Equal((0, (short)0), (first.ErrorCode, first.ProducerEpoch));
        Assert.True(first.ProducerId >= 0);
        // Kafka: without a transactional id even an "epoch bump" request gets a fresh producer id.
        Assert.Equal((0, (short)0), (second.ErrorCode, second.ProducerEpoch));
        Assert.NotEqual(first.ProducerId, second.ProducerId);
    }

    [Fact]
    public async Task A_transactional_id_is_refused_until_transactions_exist()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var response = await InitProducerIdAsync(client, 4, "txn-1");

        Assert.Equal((short)ErrorCode.InvalidTxnState, response.ErrorCode);
        Assert.Equal(-1, response.ProducerId);
    }

    [Fact]
    public async Task A_retried_batch_is_answered_with_its_original_offset_and_stored_once()
    {
        var topic = KafkaNode.UniqueTopic("idem-dup");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var pid = (await InitProducerIdAsync(client, 4)).ProducerId;

        var first = await ProduceAsync(client, topic, Batch(pid, 0, 0, 3));
        var second = await ProduceAsync(client, topic, Batch(pid, 0, 3, 2));
        var retryOfFirst = await ProduceAsync(client, topic, Batch(pid, 0, 0, 3));
        var retryOfSecond = await ProduceAsync(client, topic, Batch(pid, 0, 3, 2));
        var third = await ProduceAsync(client, topic, Batch(pid, 0, 5, 1));

        Assert.Equal((0, 0L), (first.ErrorCode, first.BaseOffset));
        Assert.Equal((0, 3L), (second.ErrorCode, second.BaseOffset));
        Assert.Equal((0, 0L), (retryOfFirst.ErrorCode, retryOfFirst.BaseOffset));
        Assert.Equal((0, 3L), (retryOfSecond.ErrorCode, retryOfSecond.BaseOffset));
        Assert.Equal((0, 5L), (third.ErrorCode, third.BaseOffset));
        Assert.Equal(["s-0", "s-1", "s-2", "s-3", "s-4", "s-5"], await ConsumeAsync(topic));
    }

    [Fact]
    public async Task A_gap_in_sequences_is_out_of_order_and_an_old_epoch_is_invalid_and_neither_is_stored()
    {
        var topic = KafkaNode.UniqueTopic("idem-bad");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var pid = (await InitProducerIdAsync(client, 4)).ProducerId;

        var atEpochOne = await ProduceAsync(client, topic, Batch(pid, 1, 0, 2));
        var gap = await ProduceAsync(client, topic, Batch(pid, 1, 5, 1));
        var oldEpoch = await ProduceAsync(client, topic, Batch(pid, 0, 2, 1));
        var newEpochNotAtZero = await ProduceAsync(client, topic, Batch(pid, 2, 2, 1));
        var inOrder = await ProduceAsync(client, topic, Batch(pid, 1, 2, 1));

        Assert.Equal(0, atEpochOne.ErrorCode);
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, oldEpoch.ErrorCode);
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, newEpochNotAtZero.ErrorCode);
        Assert.Equal((0, 2L), (inOrder.ErrorCode, inOrder.BaseOffset));
        Assert.Equal(["s-0", "s-1", "s-2"], await ConsumeAsync(topic));
    }

    [Fact]
    public async Task Producer_state_and_ids_survive_an_in_process_restart()
    {
        await using var own = new KafkaNode();
        await own.InitializeAsync();
        var topic = KafkaNode.UniqueTopic("idem-restart");
        await Batches.CreateTopicAsync(own.Port, topic);
        long pid;
        await using (var client = await RawKafkaClient.ConnectAsync(own.Port))
        {
            pid = (await InitProducerIdAsync(client, 4)).ProducerId;
            await ProduceAsync(client, topic, Batches.Create(2)); // plain records in between: offsets 0-1
            Assert.Equal(2, (await ProduceAsync(client, topic, Batch(pid, 0, 0, 4))).BaseOffset);
            Assert.Equal(6, (await ProduceAsync(client, topic, Batch(pid, 0, 4, 4))).BaseOffset);
        }

        await own.RestartAsync();

        await using var after = await RawKafkaClient.ConnectAsync(own.Port);
        var retry = await ProduceAsync(after, topic, Batch(pid, 0, 4, 4));
        var gap = await ProduceAsync(after, topic, Batch(pid, 0, 9, 1));
        var next = await ProduceAsync(after, topic, Batch(pid, 0, 8, 1));
        var newId = (await InitProducerIdAsync(after, 4)).ProducerId;

        Assert.Equal((0, 6L), (retry.ErrorCode, retry.BaseOffset));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        Assert.Equal((0, 10L), (next.ErrorCode, next.BaseOffset));
        Assert.True(newId > pid, $"producer id {newId} after the restart is not new (before: {pid})");
    }

    private async Task<string[]> ConsumeAsync(string topic)
    {
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%s\\n"]);
        Assert.True(consumed.ExitCode == 0, consumed.Describe());
        return consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
