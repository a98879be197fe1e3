namespace Herald.Frontends.Kafka.Tests;

/// <summary>kcat 1.7 (librdkafka 2.0.2) as a producer, consumer and metadata client.</summary>
public sealed class KcatTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Metadata_lists_the_broker_as_controller_and_an_auto_created_topic()
    {
        var topic = KafkaNode.UniqueTopic("kcat-meta");
        await ProduceAsync(topic, ["one"]);

        var listing = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-L", "-t", topic]);

        Assert.Equal(0, listing.ExitCode);
        Assert.Contains($"broker 0 at 127.0.0.1:{node.Port} (controller)", listing.StandardOutput);
        Assert.Contains($"topic \"{topic}\" with 1 partitions:", listing.StandardOutput);
        Assert.Contains("partition 0, leader 0, replicas: 0, isrs: 0", listing.StandardOutput);
    }

    [Fact]
    public async Task Records_with_keys_and_headers_round_trip()
    {
        var topic = KafkaNode.UniqueTopic("kcat-rt");
        var lines = Enumerable.Range(0, 20).Select(i => $"key-{i}|value {i}").ToArray();

        var produced = await ClientProcess.RunAsync(ClientProcess.Kcat,
            ["-b", node.Bootstrap, "-t", topic, "-P", "-K", "|", "-H", "origin=kcat", "-H", "trace=abc"], ClientProcess.Lines(lines));
        var consumed = await ConsumeAsync(topic, "%k|%s|%h|%o\\n");

        Assert.True(produced.ExitCode == 0, produced.Describe());
        Assert.Equal(lines.Select((l, i) => $"{l}|origin=kcat,trace=abc|{i}"), consumed);
    }

    /// <summary>Records round-trip whatever the codec (librdkafka 2.0.2 sends lz4 uncompressed until FindCoordinator is advertised).</summary>
    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Every_compression_codec_round_trips(string codec)
    {
        var topic = KafkaNode.UniqueTopic("kcat-" + codec);
        var values = Enumerable.Range(0, 200).Select(i => $"{codec} record {i} {new string('x', i % 50)}").ToArray();

        await ProduceAsync(topic, values, "-X", $"compression.codec={codec}");
        var consumed = await ConsumeAsync(topic, "%s\\n");

        Assert.Equal(values, consumed);
    }

    [Fact]
    public async Task Keyed_records_land_on_the_partition_librdkafkas_partitioner_chooses()
    {
        var topic = KafkaNode.UniqueTopic("kcat-keys");
        await Batches.CreateTopicAsync(node.Port, topic, partitions: 4);
        var keys = Enumerable.Range(0, 40).Select(i => $"customer-{i}").ToArray();

        await ProduceAsync(topic, [.. keys.Select(k => $"{k}:payload")], "-K", ":");
        var placed = await ConsumeAsync(topic, "%k %p\\n");

        Assert.Equal(40, placed.Length);
        Assert.All(placed, line =>
        {
            var parts = line.Split(' ');
            Assert.Equal(Partitioners.Crc32(parts[0], 4), int.Parse(parts[1]));
        });
        Assert.True(placed.Select(l => l.Split(' ')[1]).Distinct().Count() > 1, "all keys fell on one partition");
    }

    private async Task ProduceAsync(string topic, string[] lines, params string[] extra)
    {
        var result = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-P", .. extra], ClientProcess.Lines(lines));
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    private async Task<string[]> ConsumeAsync(string topic, string format)
    {
        var result = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", format]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
