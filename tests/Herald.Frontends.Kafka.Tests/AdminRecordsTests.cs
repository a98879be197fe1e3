using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// CreatePartitions, DeleteRecords and DescribeCluster: on raw connections for every rule, and through the admin
/// clients that have them: confluent-kafka-python 1.7 and kafka-python 2.0.2 create_partitions, kafkajs
/// createPartitions and deleteTopicRecords (librdkafka 2.0.2 has DeleteRecords but confluent-kafka-python 1.7 does
/// not expose it). No client on this machine sends DescribeCluster: librdkafka has it from 2.3, and kafkajs's and
/// kafka-python's describeCluster read Metadata; the raw tests cover it at both versions.
/// </summary>
public sealed class AdminRecordsTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task CreatePartitions_grows_a_topic_and_refuses_what_kafka_refuses(short version)
    {
        var topic = KafkaNode.UniqueTopic("grow");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await Batches.CreateTopicAsync(client, topic, partitions: 2);
        var nodeId = await NodeIdAsync(client);

        var validateOnly = await CreatePartitionsAsync(client, version, validateOnly: true, (topic, 4, null));
        var grown = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 4, null));
        var same = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 4, null));
        var fewer = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 3, null));
        var missing = await CreatePartitionsAsync(client, version, validateOnly: false, ("no-such-topic-here", 3, null));
        var wrongBroker = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 5, [[nodeId + 1]]));
        var tooFewAssignments = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 6, [[nodeId]]));
        var twice = await CreatePartitionsAsync(client, version, validateOnly: false, (topic, 7, null), (topic, 8, null));
        var metadata = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [new() { Name = topic }] });

        Assert.Equal(0, validateOnly[0].ErrorCode);
        Assert.Equal(0, grown[0].ErrorCode);
        Assert.Equal(((short)ErrorCode.InvalidPartitions, "Topic already has 4 partition(s)."), (same[0].ErrorCode, same[0].ErrorMessage));
        Assert.Equal((short)ErrorCode.InvalidPartitions, fewer[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, missing[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, wrongBroker[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, tooFewAssignments[0].ErrorCode);
        Assert.All(twice, r => Assert.Equal((short)ErrorCode.InvalidRequest, r.ErrorCode));
        Assert.Equal(4, metadata.Topics[0].Partitions.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task DeleteRecords_moves_the_low_watermark_and_fetches_below_it_are_out_of_range(short version)
    {
        var topic = KafkaNode.UniqueTopic("trim");
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        await Batches.CreateTopicAsync(client, topic, partitions: 2);
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 9, Batches.Produce(topic, Batches.Create(10)));
        await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 9, Batches.Produce(topic, Batches.Create(3), partition: 1));

        var trimmed = await DeleteRecordsAsync(client, version, topic, (0, 6), (1, -1), (7, 0));
        var beyond = await DeleteRecordsAsync(client, version, topic, (0, 11));
        var fetch = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 3));
        var earliest = await client.RequestAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, Timestamp = -2 }] }],
        });

        Assert.Equal([(0, (short)0, 6L), (1, (short)0, 3L), (7, (short)ErrorCode.UnknownTopicOrPartition, -1L)],
            trimmed.Select(p => (p.PartitionIndex, p.ErrorCode, p.LowWatermark)));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, beyond[0].ErrorCode);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, fetch.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal(6, earliest.Topics[0].Partitions[0].Offset);
    }

    [Fact]
    public async Task DescribeCluster_describes_this_node_as_the_controller_with_the_metadata_cluster_id()
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var metadata = await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [] });

        var v0 = await client.RequestAsync<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, new DescribeClusterRequest());
        var withOperations = await client.RequestAsync<DescribeClusterResponse>(ApiKey.DescribeCluster, 1,
            new DescribeClusterRequest { IncludeClusterAuthorizedOperations = true });
        var controllers = await client.RequestAsync<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, new DescribeClusterRequest { EndpointType = 2 });

        var broker = Assert.Single(v0.Brokers);
        var nodeId = metadata.Brokers[0].NodeId;
        Assert.Equal((nodeId, "127.0.0.1", node.Port), (broker.BrokerId, broker.Host, broker.Port));
        Assert.Equal((0, metadata.ClusterId, nodeId), (v0.ErrorCode, v0.ClusterId, v0.ControllerId));
        Assert.Equal(int.MinValue, v0.ClusterAuthorizedOperations);
        // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE: bits 5, 7-12.
        Assert.Equal(0b1_1111_1010_0000, withOperations.ClusterAuthorizedOperations);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, controllers.ErrorCode);
    }

    [Fact]
    public async Task Kafkajs_admin_grows_a_topic_deletes_records_and_consumers_start_at_the_new_earliest_offset()
    {
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules", "kafkajs")), "run `npm ci` in tests/Herald.Frontends.Kafka.Tests/Clients/node (./run-tests does)");
        var topic = KafkaNode.UniqueTopic("kjs-admin");

        var report = (await ClientProcess.RunAsync("node", ["kafkajs-admin-records.js", node.Bootstrap, topic], workingDirectory: clients)).Report();
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-p", "0", "-C", "-o", "beginning", "-e", "-q", "-f", "%o %s\\n"]);

        Assert.Equal(3, report.GetProperty("partitionsAfterGrow").GetInt32());
        Assert.Equal("INVALID_PARTITIONS", report.GetProperty("shrink").GetProperty("type").GetString());
        var offsets = report.GetProperty("offsetsAfterDelete").EnumerateArray().OrderBy(o => o.GetProperty("partition").GetInt32()).ToList();
        Assert.Equal((4L, 10L), (offsets[0].GetProperty("low").GetInt64(), offsets[0].GetProperty("high").GetInt64()));
        // kafkajs's retrier drops the broker's error code (OFFSET_OUT_OF_RANGE, checked on the raw connection above)
        // and keeps only that the partition failed without a retriable error; nothing moved.
        Assert.Equal(("KafkaJSNonRetriableError", "Error while deleting records"),
            (report.GetProperty("beyondHighWatermark").GetProperty("name").GetString(), report.GetProperty("beyondHighWatermark").GetProperty("message").GetString()));
        Assert.Equal(4, report.GetProperty("lowAfterFailure").GetInt64());
        Assert.Equal(Enumerable.Range(4, 6).Select(i => $"{i} r-{i}"), consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var cluster = report.GetProperty("cluster");
        Assert.Equal(node.Port, Assert.Single(cluster.GetProperty("brokers").EnumerateArray()).GetProperty("port").GetInt32());
        Assert.False(string.IsNullOrEmpty(cluster.GetProperty("clusterId").GetString()));
    }

    [Fact]
    public async Task Confluent_kafka_python_and_kafka_python_admin_clients_grow_topics()
    {
        var confluentTopic = KafkaNode.UniqueTopic("cpy-grow");
        var kafkaPythonTopic = KafkaNode.UniqueTopic("kpy-grow");
        await Batches.CreateTopicAsync(node.Port, confluentTopic);
        await Batches.CreateTopicAsync(node.Port, kafkaPythonTopic);

        var report = (await ClientProcess.PythonScriptAsync("create_partitions.py", node.Bootstrap, confluentTopic, kafkaPythonTopic)).Report();

        var confluent = report.GetProperty("confluent");
        Assert.Equal(("NONE", 1), (confluent.GetProperty("validate_only").GetString(), confluent.GetProperty("after_validate_only").GetInt32()));
        Assert.Equal(("NONE", 3), (confluent.GetProperty("grow").GetString(), confluent.GetProperty("after_grow").GetInt32()));
        Assert.Equal("INVALID_PARTITIONS", confluent.GetProperty("shrink").GetString());
        var kafkaPython = report.GetProperty("kafka_python");
        Assert.Equal(0, kafkaPython.GetProperty("validate_only")[0].GetProperty("error_code").GetInt32());
        Assert.Equal(0, kafkaPython.GetProperty("grow")[0].GetProperty("error_code").GetInt32());
        Assert.Equal((int)ErrorCode.InvalidPartitions, kafkaPython.GetProperty("shrink")[0].GetProperty("error_code").GetInt32());
        Assert.Equal(3, kafkaPython.GetProperty("after_grow").GetInt32());
    }

    private static async Task<int> NodeIdAsync(RawKafkaClient client) =>
        (await client.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [] })).Brokers[0].NodeId;

    private static async Task<List<CreatePartitionsResponse.CreatePartitionsTopicResult>> CreatePartitionsAsync(RawKafkaClient client,
        short version, bool validateOnly, params (string Topic, int Count, int[][]? Assignments)[] topics)
    {
        var response = await client.RequestAsync<CreatePartitionsResponse>(ApiKey.CreatePartitions, version, new CreatePartitionsRequest
        {
            TimeoutMs = 10_000,
            ValidateOnly = validateOnly,
            Topics =
            [
                .. topics.Select(t => new CreatePartitionsRequest.CreatePartitionsTopic
                {
                    Name = t.Topic,
                    Count = t.Count,
                    Assignments = t.Assignments?.Select(a => new CreatePartitionsRequest.CreatePartitionsAssignment { BrokerIds = [.. a] }).ToList(),
                }),
            ],
        });
        return response.Results;
    }

    private static async Task<List<DeleteRecordsResponse.DeleteRecordsPartitionResult>> DeleteRecordsAsync(RawKafkaClient client, short version,
        string topic, params (int Partition, long Offset)[] partitions)
    {
        var response = await client.RequestAsync<DeleteRecordsResponse>(ApiKey.DeleteRecords, version, new DeleteRecordsRequest
        {
            TimeoutMs = 10_000,
            Topics = [new() { Name = topic, Partitions = [.. partitions.Select(p => new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = p.Partition, Offset = p.Offset })] }],
        });
        return response.Topics[0].Partitions;
    }
}
