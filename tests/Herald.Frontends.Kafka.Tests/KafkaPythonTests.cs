namespace Herald.Frontends.Kafka.Tests;

/// <summary>kafka-python 2.0.2 (Debian): admin, acks=all producer with murmur2 partitioning, group-less consumer.</summary>
public sealed class KafkaPythonTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Admin_produce_and_groupless_consume_round_trip_with_java_compatible_partitioning()
    {
        var topic = KafkaNode.UniqueTopic("kpy");

        var report = (await ClientProcess.PythonScriptAsync("kafka_python_roundtrip.py", node.Bootstrap, topic, "3")).Report();

        var sent = report.GetProperty("sent").EnumerateArray().ToList();
        Assert.Equal(30, sent.Count);
        Assert.All(sent, s => Assert.Equal(Partitioners.Murmur2(s.GetProperty("key").GetString()!, 3), s.GetProperty("partition").GetInt32()));
        var consumed = report.GetProperty("consumed").EnumerateArray().ToList();
        Assert.Equal(
            sent.Select(s => (s.GetProperty("partition").GetInt32(), s.GetProperty("offset").GetInt64(), s.GetProperty("key").GetString())).Order(),
            consumed.Select(c => (c.GetProperty("partition").GetInt32(), c.GetProperty("offset").GetInt64(), c.GetProperty("key").GetString())).Order());
        Assert.All(consumed, c => Assert.Equal($"[[\"n\",\"{c.GetProperty("value").GetString()!["value-".Length..]}\"]]",
            c.GetProperty("headers").GetRawText().Replace(" ", "")));
        Assert.Equal([0L, 0L, 0L], report.GetProperty("offsets_for_times").EnumerateArray().Select(o => o.GetInt64()));
        Assert.Equal(30, report.GetProperty("end_offsets").EnumerateArray().Sum(o => o.GetInt64()));
        Assert.Contains(topic, report.GetProperty("listed").EnumerateArray().Select(t => t.GetString()));
        Assert.DoesNotContain(topic, report.GetProperty("after_delete").EnumerateArray().Select(t => t.GetString()));
    }
}
