using System.Text;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Record batches and admin requests for the raw-socket tests.</summary>
public static class Batches
{
    /// <summary>An uncompressed v2 batch of <paramref name="count"/> records "value-i", as a producer sends it.</summary>
    public static byte[] Create(int count = 1, int valueBytes = 0, long? timestamp = null)
    {
        var builder = new RecordBatchBuilder();
        var now = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        builder.Reset(now);
        for (var i = 0; i < count; i++)
        {
            var value = valueBytes > 0 ? new byte[valueBytes] : Encoding.UTF8.GetBytes($"value-{i}");
            builder.Add(now + i, Encoding.UTF8.GetBytes($"key-{i}"), value);
        }
        return builder.Build().ToArray();
    }

    public static ProduceRequest Produce(string topic, byte[] batch, short acks = -1, int partition = 0) => new()
    {
        Acks = acks,
        TimeoutMs = 10_000,
        TopicData =
        [
            new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = batch }],
            },
        ],
    };

    public static FetchRequest Fetch(string topic, long offset, int maxWaitMs = 0, int minBytes = 0, int partitionMaxBytes = 1 << 20,
        int partition = 0) => new()
    {
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = 50 << 20,
        Topics =
        [
            new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = partitionMaxBytes }],
            },
        ],
    };

    public static async Task<CreateTopicsResponse.CreatableTopicResult> CreateTopicAsync(RawKafkaClient client, string name,
        int partitions = 1, short replicationFactor = 1, bool validateOnly = false, params (string Name, string Value)[] configs)
    {
        var request = new CreateTopicsRequest
        {
            validateOnly = validateOnly,
            Topics =
            [
                new CreateTopicsRequest.CreatableTopic
                {
                    Name = name,
                    NumPartitions = partitions,
                    ReplicationFactor = replicationFactor,
                    Configs = [.. configs.Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Name, Value = c.Value })],
                },
            ],
        };
        var response = await client.RequestAsync<CreateTopicsResponse>(ApiKey.CreateTopics, 7, request);
        return Assert.Single(response.Topics);
    }

    public static async Task CreateTopicAsync(int port, string name, int partitions = 1, params (string Name, string Value)[] configs)
    {
        await using var client = await RawKafkaClient.ConnectAsync(port);
        var result = await CreateTopicAsync(client, name, partitions, 1, false, configs);
        Assert.Equal(0, result.ErrorCode);
    }
}
