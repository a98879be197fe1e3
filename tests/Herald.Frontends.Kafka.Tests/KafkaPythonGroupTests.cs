namespace Herald.Frontends.Kafka.Tests;

/// <summary>kafka-python 2.0.2 consumer groups (JoinGroup v2, OffsetCommit v2, OffsetFetch v1).</summary>
public sealed class KafkaPythonGroupTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Members_joining_and_leaving_rebalance_the_partitions_and_commits_survive_the_members()
    {
        var topic = KafkaNode.UniqueTopic("kpg");

        var result = await ClientProcess.PythonScriptAsync("kafka_python_group.py", node.Bootstrap, topic, topic + "-g");
        var report = result.Report();

        Assert.Equal(Enumerable.Range(0, 6), report.GetProperty("alone").EnumerateArray().Select(p => p.GetInt32()));
        var shared = report.GetProperty("shared").EnumerateArray().Select(a => a.EnumerateArray().Select(p => p.GetInt32()).ToList()).ToList();
        Assert.All(shared, a => Assert.Equal(3, a.Count));
        Assert.Equal(Enumerable.Range(0, 6), shared.SelectMany(a => a).Order());
        Assert.Equal(Enumerable.Range(0, 6), report.GetProperty("after_leave").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"v{i}").Order(StringComparer.Ordinal),
            report.GetProperty("consumed").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal(Enumerable.Range(30, 6).Select(i => $"v{i}").Order(StringComparer.Ordinal),
            report.GetProperty("resumed").EnumerateArray().Select(v => v.GetString()!).Order(StringComparer.Ordinal));
    }
}
