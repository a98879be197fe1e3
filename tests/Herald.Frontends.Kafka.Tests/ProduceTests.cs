using System.Buffers.Binary;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Produce validation and storage as Apache Kafka does it, on raw connections.</summary>
public sealed class ProduceTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task A_batch_is_stored_and_fetched_back_byte_for_byte_with_only_its_base_offset_and_leader_epoch_assigned()
    {
        var topic = KafkaNode.UniqueTopic("bytes");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var first = Batches.Create(2);
        var second = Batches.Create(3);
        RecordBatch.SetPartitionLeaderEpoch(second, 0); // as librdkafka sends it

        await Produce(client, topic, first);
        var produced = await Produce(client, topic, second);
        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 2));

        Assert.Equal(2, produced.BaseOffset);
        var records = fetched.Responses[0].Partitions[0].Records!.Value.ToArray();
        RecordBatch.SetBaseOffset(second, 2);
        RecordBatch.SetPartitionLeaderEpoch(second, -1);
        Assert.Equal(second, records);
    }

    [Fact]
    public async Task A_batch_with_a_bad_crc_gets_corrupt_message_and_nothing_is_stored()
    {
        var topic = KafkaNode.UniqueTopic("crc");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var batch = Batches.Create(2);
        batch[^1] ^= 0xff;

        var response = await Produce(client, topic, batch);

        Assert.Equal((short)ErrorCode.CorruptMessage, response.ErrorCode);
        Assert.Equal(0, await HighWatermarkAsync(client, topic));
    }

    [Fact]
    public async Task A_batch_with_magic_1_gets_invalid_record()
    {
        var topic = KafkaNode.UniqueTopic("magic");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var batch = Batches.Create(1);
        batch[RecordBatch.MagicPosition] = 1;

        var response = await Produce(client, topic, batch);

        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
        Assert.Equal(0, await HighWatermarkAsync(client, topic));
    }

    [Fact]
    public async Task A_record_count_that_disagrees_with_the_last_offset_delta_gets_invalid_record()
    {
        var topic = KafkaNode.UniqueTopic("count");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var batch = Batches.Create(3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.RecordCountPosition), 5);
        RecordBatch.UpdateCrc(batch);

        var response = await Produce(client, topic, batch);

        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
    }

    [Fact]
    public async Task A_batch_over_max_message_bytes_gets_message_too_large_and_one_at_the_limit_is_stored()
    {
        var topic = KafkaNode.UniqueTopic("size");
        await Batches.CreateTopicAsync(node.Port, topic, 1, ("max.message.bytes", "20000"));
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var fits = Batches.Create(1, valueBytes: 19_900);
        var tooLarge = Batches.Create(1, valueBytes: 20_100);

        var accepted = await Produce(client, topic, fits);
        var refused = await Produce(client, topic, tooLarge);

        Assert.True(fits.Length <= 20_000);
        Assert.Equal(0, accepted.ErrorCode);
        Assert.Equal((short)ErrorCode.MessageTooLarge, refused.ErrorCode);
        Assert.Equal(1, await HighWatermarkAsync(client, topic));
    }

    [Fact]
    public async Task A_log_append_time_topic_stamps_the_broker_time_and_a_valid_crc()
    {
        var topic = KafkaNode.UniqueTopic("append-time");
        await Batches.CreateTopicAsync(node.Port, topic, 1, ("message.timestamp.type", "LogAppendTime"));
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var response = await Produce(client, topic, Batches.Create(2, timestamp: 1_000));
        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 0));

        Assert.InRange(response.LogAppendTimeMs, before, before + 60_000);
        var stored = fetched.Responses[0].Partitions[0].Records!.Value.ToArray();
        RecordBatchHeader.TryRead(stored, out var header);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(response.LogAppendTimeMs, header.MaxTimestamp);
        Assert.True(RecordBatch.IsCrcValid(stored));
    }

    [Fact]
    public async Task Produce_to_a_missing_topic_gets_unknown_topic_and_does_not_create_it()
    {
        var topic = KafkaNode.UniqueTopic("missing");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var response = await Produce(client, topic, Batches.Create(1));
        var metadata = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12,
            new MetadataRequest { Topics = [new() { Name = topic }], AllowAutoTopicCreation = false });

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, metadata.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task A_failed_acks_0_produce_closes_the_connection()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        await client.SendAsync(client.Encode(ApiKey.Produce, 7, Batches.Produce(KafkaNode.UniqueTopic("nowhere"), Batches.Create(1), acks: 0), out _));

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Produce_below_version_3_is_refused_with_unsupported_version()
    {
        var topic = KafkaNode.UniqueTopic("old");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var response = await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 2, Batches.Produce(topic, Batches.Create(1)));

        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.Responses[0].PartitionResponses[0].ErrorCode);
    }

    private static async Task<ProduceResponse.PartitionProduceResponse> Produce(RawKafkaClient client, string topic, byte[] batch)
    {
        var response = await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 9, Batches.Produce(topic, batch));
        return response.Responses[0].PartitionResponses[0];
    }

    private static async Task<long> HighWatermarkAsync(RawKafkaClient client, string topic)
    {
        var response = await client.RequestAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, Timestamp = -1 }] }],
        });
        return response.Topics[0].Partitions[0].Offset;
    }
}
