namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// kafkajs 2.2.4 (npm, Clients/node beside these tests): admin and producer; what it produced is read back with kcat,
/// an independent client. Its group consumer is covered by <see cref="KafkajsGroupTests"/>.
/// </summary>
public sealed class KafkajsTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Admin_and_producer_work_and_keys_land_where_the_murmur2_partitioner_puts_them()
    {
        var topic = KafkaNode.UniqueTopic("kjs");
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules", "kafkajs")), "run `npm ci` in tests/Herald.Frontends.Kafka.Tests/Clients/node (./run-tests does)");

        var report = (await ClientProcess.RunAsync("node", ["kafkajs-roundtrip.js", node.Bootstrap, topic, "3"], workingDirectory: clients)).Report();
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat,
            ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%k|%s|%h|%p\\n"]);

        Assert.True(report.GetProperty("created").GetBoolean());
        Assert.False(report.GetProperty("duplicateCreate").GetBoolean());
        var partitions = report.GetProperty("metadata")[0].GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal(3, partitions.Count);
        Assert.All(report.GetProperty("sent").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("errorCode").GetInt32()));
        Assert.All(report.GetProperty("placements").EnumerateArray(), p =>
            Assert.Equal(Partitioners.Murmur2(p.GetProperty("key").GetString()!, 3), p.GetProperty("partition").GetInt32()));
        Assert.Equal(36, report.GetProperty("offsets").EnumerateArray().Sum(o => o.GetProperty("high").GetInt64()));
        Assert.All(report.GetProperty("offsetsByTimestamp").EnumerateArray(), o => Assert.Equal(0, o.GetProperty("offset").GetInt64()));
        var records = consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("|probe|")).ToList();
        Assert.Equal(30, records.Count);
        Assert.All(records, line =>
        {
            var fields = line.Split('|');
            Assert.Equal($"n={fields[1]["value-".Length..]}", fields[2]);
            Assert.Equal(Partitioners.Murmur2(fields[0], 3), int.Parse(fields[3]));
        });
    }
}
