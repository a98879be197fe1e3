namespace Herald.Frontends.Kafka.Tests;

/// <summary>Committed offsets outlive an in-process restart of the server (replayed from the internal log).</summary>
public sealed class CommittedOffsetRestartTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task A_librdkafka_group_resumes_from_its_commits_after_the_server_restarts()
    {
        var topic = KafkaNode.UniqueTopic("cor");
        var group = topic + "-g";

        var committed = (await ClientProcess.PythonScriptAsync("confluent_commit.py", node.Bootstrap, topic, group, "commit")).Report();
        Assert.Equal(10, committed.GetProperty("received").GetArrayLength());

        await node.RestartAsync();
        var read = (await ClientProcess.PythonScriptAsync("confluent_commit.py", node.Bootstrap, topic, group, "read")).Report();

        Assert.Equal([5L, 5L], read.GetProperty("committed").EnumerateArray().Select(o => o.GetInt64()));
        Assert.Equal(["v10", "v11", "v12", "v13"], read.GetProperty("received").EnumerateArray().Select(v => v.GetString()));
    }
}
