using System.Text.Json;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Consumer groups with real clients: partition sharing, committed offsets, auto.offset.reset.</summary>
public sealed class ConsumerGroupTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Three_librdkafka_consumers_share_six_partitions_and_a_new_member_resumes_from_their_commits()
    {
        var topic = KafkaNode.UniqueTopic("grp");

        var result = await ClientProcess.PythonScriptAsync("confluent_group.py", node.Bootstrap, topic, topic + "-g");
        var report = result.Report();

        var assignments = report.GetProperty("assignments").EnumerateArray()
            .Select(a => a.EnumerateArray().Select(p => p.GetInt32()).ToList()).ToList();
        Assert.All(assignments, a => Assert.Equal(2, a.Count));
        Assert.Equal(Enumerable.Range(0, 6), assignments.SelectMany(a => a).Order());
        var consumed = report.GetProperty("consumed").EnumerateArray().SelectMany(c => c.EnumerateArray()).Select(v => v.GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"v{i}").Order(), consumed.Order());
        Assert.Equal(Enumerable.Repeat(10L, 6), report.GetProperty("committed").EnumerateArray().Select(o => o.GetInt64()));
        Assert.Equal(Enumerable.Range(60, 6).Select(i => $"v{i}").Order(), Strings(report, "resumed").Order());
        Assert.Equal(Enumerable.Range(66, 6).Select(i => $"v{i}").Order(), Strings(report, "latest").Order());
    }

    private static IEnumerable<string?> Strings(JsonElement report, string name) =>
        report.GetProperty(name).EnumerateArray().Select(v => v.GetString());
}
