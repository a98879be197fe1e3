namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// Real idempotent producers whose connections are cut with produce requests in flight (by
/// <see cref="ConnectionCuttingProxy"/>, after Herald appended the request but before its response reaches the
/// client): librdkafka 2.0.2 (confluent-kafka-python, <c>enable.idempotence=True</c>) and kafkajs
/// (<c>idempotent: true</c>) retry those requests, and every record must end up in the log exactly once and in order.
/// kafka-python 2.0.2 has no idempotent producer (its <c>KafkaProducer</c> has no <c>enable_idempotence</c>), so it
/// is not covered here.
/// </summary>
public sealed class IdempotentClientTests
{
    private const int Partitions = 2;

    [Fact]
    public async Task Confluent_kafka_python_idempotent_producer_stores_every_record_once_despite_dropped_connections()
    {
        await using var proxy = new ConnectionCuttingProxy(cutEvery: 15, maxCuts: 4);
        await using var node = await StartBehindAsync(proxy);
        var topic = KafkaNode.UniqueTopic("cpy-idem");
        await Batches.CreateTopicAsync(node.Port, topic, Partitions);
        const int count = 3000;

        var report = (await ClientProcess.RunAsync(ClientProcess.Python,
            [Path.Combine(AppContext.BaseDirectory, "Clients", "confluent_idempotent.py"), $"127.0.0.1:{proxy.Port}", topic, $"{Partitions}", $"{count}"],
            timeout: TimeSpan.FromSeconds(150))).Report();

        Assert.Empty(report.GetProperty("fatal").EnumerateArray());
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.Equal(0, report.GetProperty("unflushed").GetInt32());
        Assert.Equal(count, report.GetProperty("delivered").GetArrayLength());
        Assert.True(proxy.Cuts >= 3, $"only {proxy.Cuts} connections were cut");
        await AssertEachRecordOnceInOrderAsync(node, topic, count);
    }

    [Fact]
    public async Task Kafkajs_idempotent_producer_stores_every_record_once_despite_dropped_connections()
    {
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules", "kafkajs")), "run `npm ci` in tests/Herald.Frontends.Kafka.Tests/Clients/node (./run-tests does)");
        await using var proxy = new ConnectionCuttingProxy(cutEvery: 7, maxCuts: 3);
        await using var node = await StartBehindAsync(proxy);
        var topic = KafkaNode.UniqueTopic("kjs-idem");
        await Batches.CreateTopicAsync(node.Port, topic, Partitions);
        const int count = 400;

        var report = (await ClientProcess.RunAsync("node", ["kafkajs-idempotent.js", $"127.0.0.1:{proxy.Port}", topic, $"{Partitions}", $"{count}"],
            workingDirectory: clients, timeout: TimeSpan.FromSeconds(150))).Report();

        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.All(report.GetProperty("sent").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("errorCode").GetInt32()));
        Assert.True(proxy.Cuts >= 3, $"only {proxy.Cuts} connections were cut");
        await AssertEachRecordOnceInOrderAsync(node, topic, count);
    }

    /// <summary>A node that advertises the proxy's port, so clients come back through the proxy after each cut.</summary>
    private static async Task<KafkaNode> StartBehindAsync(ConnectionCuttingProxy proxy)
    {
        var node = new KafkaNode();
        node.Options.KafkaAdvertisedPort = proxy.Port;
        await node.InitializeAsync();
        proxy.Target = node.Port;
        return node;
    }

    /// <summary>Reads the topic directly (not through the proxy): records "v-I" went to partition I % 2, in order, each once.</summary>
    private static async Task AssertEachRecordOnceInOrderAsync(KafkaNode node, string topic, int count)
    {
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat,
            ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%p %s\\n"]);
        Assert.True(consumed.ExitCode == 0, consumed.Describe());
        var lines = consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            var stored = lines.Where(l => l[0] == $"{partition}").Select(l => l[1]).ToList();
            var expected = Enumerable.Range(0, count).Where(i => i % Partitions == partition).Select(i => $"v-{i}").ToList();
            var duplicates = stored.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"partition {partition} stores {duplicates.Count} records twice, e.g. {string.Join(", ", duplicates.Take(5))}");
            Assert.Equal(expected, stored);
        }
    }
}
