using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Metadata, topic creation and deletion, and topic configs on raw connections.</summary>
public sealed class AdminTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Metadata_describes_one_broker_as_controller_with_a_stable_cluster_id_and_topic_ids()
    {
        var topic = KafkaNode.UniqueTopic("meta");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var created = await Batches.CreateTopicAsync(client, topic, partitions: 3);

        var first = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [new() { Name = topic }] });
        var second = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = null });

        var broker = Assert.Single(first.Brokers);
        Assert.Equal(("127.0.0.1", node.Port), (broker.Host, broker.Port));
        Assert.Equal(broker.NodeId, first.ControllerId);
        Assert.False(string.IsNullOrEmpty(first.ClusterId));
        Assert.Equal(first.ClusterId, second.ClusterId);
        var described = Assert.Single(first.Topics);
        Assert.Equal(created.TopicId, described.TopicId);
        Assert.NotEqual(Guid.Empty, described.TopicId);
        Assert.Equal([0, 1, 2], described.Partitions.Select(p => p.PartitionIndex));
        Assert.All(described.Partitions, p => Assert.Equal((broker.NodeId, -1, broker.NodeId), (p.LeaderId, p.LeaderEpoch, Assert.Single(p.IsrNodes))));
        Assert.Contains(second.Topics, t => t.Name == topic);
    }

    [Fact]
    public async Task Metadata_v0_with_no_topics_means_all_and_v1_with_no_topics_means_none()
    {
        var topic = KafkaNode.UniqueTopic("lists");
        await Batches.CreateTopicAsync(node.Port, topic);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var v0 = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 0, new MetadataRequest { Topics = [] });
        var v1 = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 1, new MetadataRequest { Topics = [] });

        Assert.Contains(v0.Topics, t => t.Name == topic);
        Assert.Empty(v1.Topics);
    }

    [Fact]
    public async Task Metadata_auto_creates_a_topic_when_the_request_allows_it_and_not_otherwise()
    {
        var allowed = KafkaNode.UniqueTopic("auto");
        var refused = KafkaNode.UniqueTopic("noauto");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var created = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 4,
            new MetadataRequest { Topics = [new() { Name = allowed }], AllowAutoTopicCreation = true });
        var missing = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 4,
            new MetadataRequest { Topics = [new() { Name = refused }], AllowAutoTopicCreation = false });
        var invalid = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 4,
            new MetadataRequest { Topics = [new() { Name = "bad name!" }], AllowAutoTopicCreation = true });

        Assert.Equal((0, 1), (created.Topics[0].ErrorCode, created.Topics[0].Partitions.Count));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, missing.Topics[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, invalid.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task CreateTopics_refuses_what_Kafka_refuses_and_validate_only_creates_nothing()
    {
        var topic = KafkaNode.UniqueTopic("create");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var checkedOnly = await Batches.CreateTopicAsync(client, topic, 2, validateOnly: true);
        var created = await Batches.CreateTopicAsync(client, topic, 2);
        var again = await Batches.CreateTopicAsync(client, topic, 2);
        var badName = await Batches.CreateTopicAsync(client, "..");
        var tooLong = await Batches.CreateTopicAsync(client, new string('a', 250));
        var replicated = await Batches.CreateTopicAsync(client, topic + "-r", 1, replicationFactor: 3);
        var noPartitions = await Batches.CreateTopicAsync(client, topic + "-p", 0);
        var badConfig = await Batches.CreateTopicAsync(client, topic + "-c", 1, 1, false, ("retention.ms", "soon"));
        var unknownConfig = await Batches.CreateTopicAsync(client, topic + "-u", 1, 1, false, ("no.such.config", "1"));
        var collision = await Batches.CreateTopicAsync(client, topic.Replace('-', '_') + ".x", 1);
        var collisionTwin = await Batches.CreateTopicAsync(client, topic.Replace('-', '_') + "_x", 1);

        Assert.Equal((0, Guid.Empty, 2), (checkedOnly.ErrorCode, checkedOnly.TopicId, checkedOnly.NumPartitions));
        Assert.Equal((0, 2, (short)1), (created.ErrorCode, created.NumPartitions, created.ReplicationFactor));
        Assert.Contains(created.Configs!, c => c.Name == "cleanup.policy" && c.Value == "delete");
        Assert.Equal((short)ErrorCode.TopicAlreadyExists, again.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, badName.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, tooLong.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicationFactor, replicated.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidPartitions, noPartitions.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, badConfig.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, unknownConfig.ErrorCode);
        Assert.Equal(0, collision.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, collisionTwin.ErrorCode);
    }

    [Fact]
    public async Task DeleteTopics_removes_the_topic_and_its_data_by_name_or_id()
    {
        var byName = KafkaNode.UniqueTopic("del");
        var byId = KafkaNode.UniqueTopic("delid");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await Batches.CreateTopicAsync(client, byName);
        var second = await Batches.CreateTopicAsync(client, byId);
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(byName, Batches.Create(3)));

        var v1 = await client.RequestAsync<DeleteTopicsResponse>(ApiKey.DeleteTopics, 1, new DeleteTopicsRequest { TopicNames = [byName, "never-was"] });
        var v6 = await client.RequestAsync<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6,
            new DeleteTopicsRequest { Topics = [new() { Name = null, TopicId = second.TopicId }, new() { Name = null, TopicId = Guid.NewGuid() }] });
        await Batches.CreateTopicAsync(client, byName);
        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 11, Batches.Fetch(byName, 0));

        Assert.Equal([0, (short)ErrorCode.UnknownTopicOrPartition], v1.Responses.Select(r => r.ErrorCode));
        Assert.Equal([0, (short)ErrorCode.UnknownTopicId], v6.Responses.Select(r => r.ErrorCode));
        Assert.Equal(byId, v6.Responses[0].Name);
        Assert.Equal((0, 0L), (fetched.Responses[0].Partitions[0].ErrorCode, fetched.Responses[0].Partitions[0].HighWatermark));
    }

    [Fact]
    public async Task Configs_are_described_altered_and_incrementally_altered()
    {
        var topic = KafkaNode.UniqueTopic("configs");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await Batches.CreateTopicAsync(client, topic, 1, 1, false, ("retention.ms", "60000"));

        var initial = await DescribeAsync(client, topic);
        var altered = await client.RequestAsync<AlterConfigsResponse>(ApiKey.AlterConfigs, 1, new AlterConfigsRequest
        {
            Resources = [new() { ResourceType = 2, ResourceName = topic, Configs = [new() { Name = "max.message.bytes", Value = "5000" }] }],
        });
        var afterAlter = await DescribeAsync(client, topic);
        var incremental = await client.RequestAsync<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new()
                {
                    ResourceType = 2,
                    ResourceName = topic,
                    Configs = [new() { Name = "cleanup.policy", ConfigOperation = 2, Value = "compact" }, new() { Name = "max.message.bytes", ConfigOperation = 1 }],
                },
            ],
        });
        var afterIncremental = await DescribeAsync(client, topic);
        var missing = await client.RequestAsync<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4,
            new DescribeConfigsRequest { Resources = [new() { ResourceType = 2, ResourceName = "never-was", ConfigurationKeys = null }] });

        Assert.Equal(("60000", (sbyte)1), initial["retention.ms"]);
        Assert.Equal(("delete", (sbyte)5), initial["cleanup.policy"]);
        Assert.Equal(0, altered.Responses[0].ErrorCode);
        Assert.Equal(("5000", (sbyte)1), afterAlter["max.message.bytes"]);
        Assert.Equal("604800000", afterAlter["retention.ms"].Value); // AlterConfigs replaces the whole set
        Assert.Equal(0, incremental.Responses[0].ErrorCode);
        Assert.Equal(("delete,compact", (sbyte)1), afterIncremental["cleanup.policy"]);
        Assert.Equal(("1048588", (sbyte)5), afterIncremental["max.message.bytes"]);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, missing.Results[0].ErrorCode);
    }

    private static async Task<Dictionary<string, (string? Value, sbyte Source)>> DescribeAsync(RawKafkaClient client, string topic)
    {
        var response = await client.RequestAsync<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4,
            new DescribeConfigsRequest { Resources = [new() { ResourceType = 2, ResourceName = topic, ConfigurationKeys = null }] });
        var result = Assert.Single(response.Results);
        Assert.Equal(0, result.ErrorCode);
        return result.Configs.ToDictionary(c => c.Name, c => (c.Value, c.ConfigSource));
    }
}
