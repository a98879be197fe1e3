using System.Diagnostics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Fetch limits, long polling and offsets on raw connections.</summary>
public sealed class FetchTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task A_long_poll_answers_as_soon_as_a_record_arrives()
    {
        var topic = KafkaNode.UniqueTopic("poll");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var consumer = await RawKafkaClient.ConnectAsync(node.Port);
        await using var producer = await RawKafkaClient.ConnectAsync(node.Port);
        var watch = Stopwatch.StartNew();

        await consumer.SendAsync(consumer.Encode(ApiKey.Fetch, 11, Batches.Fetch(topic, 0, maxWaitMs: 20_000, minBytes: 1), out _));
        await Task.Delay(300);
        await producer.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(1)));
        var (_, fetched) = await consumer.ReadResponseAsync<FetchResponse>(ApiKey.Fetch, 11);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        var partition = fetched.Responses[0].Partitions[0];
        Assert.True(partition.Records!.Value.Length > 0);
        Assert.Equal((1L, 1L), (partition.HighWatermark, partition.LastStableOffset));
    }

    [Fact]
    public async Task A_long_poll_without_data_answers_empty_after_max_wait()
    {
        var topic = KafkaNode.UniqueTopic("idle");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var watch = Stopwatch.StartNew();

        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 11, Batches.Fetch(topic, 0, maxWaitMs: 400, minBytes: 1));

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(10));
        Assert.Equal(0, fetched.Responses[0].Partitions[0].Records!.Value.Length);
        Assert.Equal(0, fetched.SessionId);
    }

    [Fact]
    public async Task A_fetch_beyond_the_log_end_gets_offset_out_of_range()
    {
        var topic = KafkaNode.UniqueTopic("range");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 4, Batches.Fetch(topic, 42));

        Assert.Equal((short)ErrorCode.OffsetOutOfRange, fetched.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Partition_max_bytes_limits_the_data_but_the_first_batch_always_comes_whole()
    {
        var topic = KafkaNode.UniqueTopic("limits");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var batch = Batches.Create(1, valueBytes: 5_000);
        for (var i = 0; i < 3; i++)
        {
            await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(1, valueBytes: 5_000)));
        }

        var tiny = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 0, partitionMaxBytes: 10));
        var two = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 0, partitionMaxBytes: batch.Length * 2 + 10));

        Assert.Equal(batch.Length, tiny.Responses[0].Partitions[0].Records!.Value.Length);
        Assert.Equal(batch.Length * 2, two.Responses[0].Partitions[0].Records!.Value.Length);
    }

    [Fact]
    public async Task An_unknown_fetch_session_gets_fetch_session_id_not_found()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var request = Batches.Fetch("anything", 0);
        request.SessionId = 1234;
        request.SessionEpoch = 3;

        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, request);

        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, fetched.ErrorCode);
    }

    [Fact]
    public async Task ListOffsets_finds_earliest_latest_by_time_and_max_timestamp()
    {
        var topic = KafkaNode.UniqueTopic("offsets");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(3, timestamp: 10_000)));
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(3, timestamp: 90_000)));
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(2, timestamp: 50_000)));

        var response = await client.RequestAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics =
            [
                new()
                {
                    Name = topic,
                    Partitions = [.. new long[] { -2, -1, 10_001, 90_000, 99_999, -3 }.Select(t => new ListOffsetsRequest.ListOffsetsPartition { Timestamp = t })],
                },
            ],
        });

        var answers = response.Topics[0].Partitions.Select(p => (p.ErrorCode, p.Offset, p.Timestamp)).ToArray();
        Assert.Equal(new (short, long, long)[]
        {
            (0, 0, -1), (0, 8, -1), (0, 1, 10_001), (0, 3, 90_000), (0, -1, -1), (0, 5, 90_002),
        }, answers);
    }
}
