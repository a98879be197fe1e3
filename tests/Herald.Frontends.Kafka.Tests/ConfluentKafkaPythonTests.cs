using System.Text.Json;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>confluent-kafka-python 1.7 (Debian, librdkafka 2.0.2): admin, acks=all producer, assign() consumer.</summary>
public sealed class ConfluentKafkaPythonTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Admin_produce_with_delivery_reports_and_assign_consume_round_trip(string codec)
    {
        var topic = KafkaNode.UniqueTopic("cpy-" + codec);

        var report = (await ClientProcess.PythonScriptAsync("confluent_roundtrip.py", node.Bootstrap, topic, "3", codec)).Report();

        Assert.Contains(topic, report.GetProperty("created").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0, report.GetProperty("unflushed").GetInt32());
        Assert.Empty(report.GetProperty("delivery_errors").EnumerateArray());
        var delivered = report.GetProperty("delivered").EnumerateArray().ToList();
        Assert.Equal(40, delivered.Count);
        Assert.All(delivered, d => Assert.Equal(Partitioners.Crc32(d.GetProperty("key").GetString()!, 3), d.GetProperty("partition").GetInt32()));
        var consumed = report.GetProperty("consumed").EnumerateArray().ToList();
        Assert.Equal(
            delivered.Select(d => (d.GetProperty("partition").GetInt32(), d.GetProperty("offset").GetInt64(), d.GetProperty("key").GetString())).Order(),
            consumed.Select(c => (c.GetProperty("partition").GetInt32(), c.GetProperty("offset").GetInt64(), c.GetProperty("key").GetString())).Order());
        Assert.All(consumed, c =>
        {
            var n = c.GetProperty("value").GetString()!["value-".Length..];
            Assert.Equal($"[[\"n\",\"{n}\"],[\"codec\",\"{codec}\"]]", c.GetProperty("headers").GetRawText().Replace(" ", ""));
        });
        Assert.Equal([0L, 0L, 0L], report.GetProperty("offsets_for_times").EnumerateArray().Select(o => o.GetInt64()));
        Assert.DoesNotContain(topic, report.GetProperty("after_delete").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Messages_near_max_message_bytes_succeed_and_larger_ones_fail_with_message_too_large()
    {
        var limited = KafkaNode.UniqueTopic("cpy-limit");
        var open = KafkaNode.UniqueTopic("cpy-default");
        await Batches.CreateTopicAsync(node.Port, limited, 1, ("max.message.bytes", "100000"));
        await Batches.CreateTopicAsync(node.Port, open);

        var report = (await ClientProcess.PythonScriptAsync("confluent_sizes.py", node.Bootstrap,
            $"{limited}:99000", $"{limited}:100100", $"{open}:1000000")).Report();

        var results = report.EnumerateArray().Select(r => r.GetProperty("error").GetString()).ToArray();
        Assert.Equal(new[] { "none", "MSG_SIZE_TOO_LARGE", "none" }, results.Select(r => r ?? "none"));
    }
}
