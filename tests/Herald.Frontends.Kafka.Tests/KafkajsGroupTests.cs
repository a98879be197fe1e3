namespace Herald.Frontends.Kafka.Tests;

/// <summary>kafkajs 2.2.4 consumer groups (JoinGroup with MEMBER_ID_REQUIRED, the leader assigning with its own assignor).</summary>
public sealed class KafkajsGroupTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Three_kafkajs_consumers_share_six_partitions_with_no_overlap_and_no_gap()
    {
        var topic = KafkaNode.UniqueTopic("kjg");
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");

        var report = (await ClientProcess.RunAsync("node", ["kafkajs-group.js", node.Bootstrap, topic, topic + "-g"],
            workingDirectory: clients)).Report();

        var assignments = report.GetProperty("assignments").EnumerateArray()
            .Select(a => a.EnumerateArray().Select(p => p.GetInt32()).ToList()).ToList();
        Assert.All(assignments, a => Assert.Equal(2, a.Count));
        Assert.Equal(Enumerable.Range(0, 6), assignments.SelectMany(a => a).Order());
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"v{i}").Order(StringComparer.Ordinal),
            report.GetProperty("received").EnumerateArray().Select(v => v.GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FromBeginning_is_earliest_or_latest_and_a_new_member_resumes_from_the_groups_commits()
    {
        var topic = KafkaNode.UniqueTopic("kjr");
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");

        var report = (await ClientProcess.RunAsync("node", ["kafkajs-offset-reset.js", node.Bootstrap, topic, topic + "-g"],
            workingDirectory: clients)).Report();

        string[] Values(string name) => [.. report.GetProperty(name).EnumerateArray().Select(v => v.GetString()!)];
        Assert.Equal(["old0", "old1", "old2", "old3", "old4", "new0", "new1", "new2", "new3", "new4"], Values("earliest")[..10]);
        Assert.Equal(["new0", "new1", "new2", "new3", "new4"], Values("latest"));
        Assert.Equal(["late0", "late1", "late2"], Values("resumed"));
    }
}
