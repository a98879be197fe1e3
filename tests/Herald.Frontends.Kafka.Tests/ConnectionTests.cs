using System.Buffers.Binary;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Framing, version negotiation, pipelining and bad input on raw connections.</summary>
public sealed class ConnectionTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task ApiVersions_advertises_exactly_the_implemented_apis_with_the_ranges_clients_need()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var response = await client.RequestAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 3,
            new ApiVersionsRequest { ClientSoftwareName = "librdkafka", ClientSoftwareVersion = "2.0.2" });

        Assert.Equal(0, response.ErrorCode);
        var ranges = response.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        Assert.Equal(new Dictionary<ApiKey, (short, short)>
        {
            [ApiKey.Produce] = (0, 11),
            [ApiKey.Fetch] = (4, 12),
            [ApiKey.ListOffsets] = (1, 7),
            [ApiKey.Metadata] = (0, 12),
            [ApiKey.ApiVersions] = (0, 4),
            [ApiKey.CreateTopics] = (0, 7),
            [ApiKey.DeleteTopics] = (0, 6),
            [ApiKey.DescribeConfigs] = (0, 4),
            [ApiKey.AlterConfigs] = (0, 2),
            [ApiKey.IncrementalAlterConfigs] = (0, 1),
            [ApiKey.FindCoordinator] = (0, 4),
            [ApiKey.JoinGroup] = (0, 9),
            [ApiKey.SyncGroup] = (0, 5),
            [ApiKey.Heartbeat] = (0, 4),
            [ApiKey.LeaveGroup] = (0, 5),
            [ApiKey.OffsetCommit] = (2, 9),
            [ApiKey.OffsetFetch] = (1, 9),
            [ApiKey.ListGroups] = (0, 4),
            [ApiKey.DescribeGroups] = (0, 5),
            [ApiKey.DeleteGroups] = (0, 2),
            [ApiKey.OffsetDelete] = (0, 0),
            [ApiKey.InitProducerId] = (0, 4),
            [ApiKey.CreatePartitions] = (0, 3),
            [ApiKey.DeleteRecords] = (0, 2),
            [ApiKey.DescribeCluster] = (0, 1),
        }, ranges);
    }

    [Fact]
    public async Task ApiVersions_newer_than_served_gets_error_35_in_the_v0_layout_and_the_connection_stays_open()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await client.SendAsync(client.Encode(ApiKey.ApiVersions, 4, new ApiVersionsRequest(), out _)
            .Select((b, i) => i == 7 ? (byte)9 : b).ToArray()); // rewrite the version field (bytes 6-7) to 9

        var (_, error) = await client.ReadResponseAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 0);
        var retried = await client.RequestAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 4, new ApiVersionsRequest());

        Assert.Equal((short)ErrorCode.UnsupportedVersion, error.ErrorCode);
        var entry = Assert.Single(error.ApiKeys);
        Assert.Equal(((short)ApiKey.ApiVersions, (short)0, (short)4), (entry.ApiKey, entry.MinVersion, entry.MaxVersion));
        Assert.Equal(0, retried.ErrorCode);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order_and_acks_0_produce_gets_no_response()
    {
        var topic = KafkaNode.UniqueTopic("pipeline");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var frames = new List<byte>();
        frames.AddRange(client.Encode(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(3)), out var first));
        frames.AddRange(client.Encode(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(2), acks: 0), out _));
        frames.AddRange(client.Encode(ApiKey.Metadata, 1, new MetadataRequest { Topics = [new() { Name = topic }] }, out var third));
        frames.AddRange(client.Encode(ApiKey.Produce, 7, Batches.Produce(topic, Batches.Create(1), acks: 1), out var fourth));

        await client.SendAsync([.. frames]);
        var (id1, produced) = await client.ReadResponseAsync<ProduceResponse>(ApiKey.Produce, 7);
        var (id3, _) = await client.ReadResponseAsync<MetadataResponse>(ApiKey.Metadata, 1);
        var (id4, last) = await client.ReadResponseAsync<ProduceResponse>(ApiKey.Produce, 7);

        Assert.Equal([first, third, fourth], new[] { id1, id3, id4 });
        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].BaseOffset);
        Assert.Equal(5, last.Responses[0].PartitionResponses[0].BaseOffset); // the acks=0 batch took offsets 3-4
    }

    [Fact]
    public async Task An_unknown_api_key_closes_the_connection_and_the_server_keeps_serving_others()
    {
        await using var other = await RawKafkaClient.ConnectAsync(node.Port);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var frame = client.Encode(ApiKey.ApiVersions, 0, new ApiVersionsRequest(), out _);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), 999);

        await client.SendAsync(frame);

        Assert.True(await client.IsClosedByServerAsync());
        await AssertServesAsync(other);
    }

    [Fact]
    public async Task An_unimplemented_api_key_closes_the_connection()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        await client.SendAsync(client.Encode(ApiKey.ElectLeaders, 0, new ElectLeadersRequest(), out _));

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task An_unsupported_version_of_a_known_api_closes_the_connection()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        await client.SendAsync(client.Encode(ApiKey.Fetch, 3, new FetchRequest(), out _));

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-5)]
    [InlineData(100 * 1024 * 1024 + 1)]
    public async Task A_size_prefix_out_of_range_closes_the_connection_before_buffering(int size)
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, size);

        await client.SendAsync(prefix);

        Assert.True(await client.IsClosedByServerAsync());
        await using var next = await RawKafkaClient.ConnectAsync(node.Port);
        await AssertServesAsync(next);
    }

    [Fact]
    public async Task A_truncated_request_body_closes_the_connection()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var frame = client.Encode(ApiKey.Metadata, 1, new MetadataRequest { Topics = [new() { Name = "some-topic" }] }, out _);
        var cut = frame[..^4];
        BinaryPrimitives.WriteInt32BigEndian(cut, cut.Length - 4);

        await client.SendAsync(cut);

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task A_request_larger_than_the_transport_buffer_is_assembled_and_served()
    {
        var topic = KafkaNode.UniqueTopic("large-frame");
        await Batches.CreateTopicAsync(node.Port, topic, 1, ("max.message.bytes", (8 << 20).ToString()));
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var batch = Batches.Create(count: 3, valueBytes: 1 << 20);

        var response = await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, batch));
        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 11, Batches.Fetch(topic, 0));

        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(batch.Length, fetched.Responses[0].Partitions[0].Records!.Value.Length);
    }

    private static async Task AssertServesAsync(RawKafkaClient client)
    {
        var response = await client.RequestAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 0, new ApiVersionsRequest());
        Assert.Equal(0, response.ErrorCode);
    }
}
