using System.Diagnostics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// Group membership with real client processes: a crashed (SIGKILLed) member is evicted after its session timeout,
/// a static member restarts without a rebalance, and a kafkajs and a librdkafka member share one group.
/// </summary>
public sealed class GroupMembershipTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_killed_librdkafka_member_is_evicted_after_its_session_timeout_and_its_partitions_reassigned()
    {
        var (topic, group) = await CreateTopicAsync("crash");
        using var survivor = GroupMember.Librdkafka("survivor", node.Bootstrap, topic, group);
        using var victim = GroupMember.Librdkafka("victim", node.Bootstrap, topic, group);
        await GroupMember.WaitUntilAsync(() => SharedExactly([survivor, victim]), Settle, survivor, victim);
        var before = survivor.Assignments.Count;

        var killedAt = Stopwatch.StartNew();
        victim.Kill();
        await GroupMember.WaitUntilAsync(() => survivor.Assignments.Count > before && survivor.Assignment.Length == 6, Settle, survivor);
        var reassignedAfter = killedAt.Elapsed;

        // The session timeout is 6 s and the survivor heartbeats every 0.5 s: eviction cannot come much earlier or later.
        Assert.InRange(reassignedAfter, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        var described = await DescribeAsync(group);
        Assert.Equal("Stable", described.GroupState);
        Assert.Single(described.Members);
    }

    [Fact]
    public async Task A_static_librdkafka_member_restarting_within_its_session_gets_its_partitions_back_without_a_rebalance()
    {
        var (topic, group) = await CreateTopicAsync("static");
        using var steady = GroupMember.Librdkafka("steady", node.Bootstrap, topic, group, instanceId: "steady-1");
        var restarting = GroupMember.Librdkafka("restarting", node.Bootstrap, topic, group, instanceId: "restarting-1");
        try
        {
            await GroupMember.WaitUntilAsync(() => SharedExactly([steady, restarting]), Settle, steady, restarting);
            var assignmentBefore = restarting.Assignment;
            var steadyEvents = (steady.Assignments.Count, steady.Revocations);
            var memberIdBefore = (await DescribeAsync(group)).Members.Single(m => m.GroupInstanceId == "restarting-1").MemberId;

            restarting.Kill();
            restarting.Dispose();
            restarting = GroupMember.Librdkafka("restarted", node.Bootstrap, topic, group, instanceId: "restarting-1");
            await GroupMember.WaitUntilAsync(() => restarting.Assignment.Length > 0, Settle, restarting, steady);
            await Task.Delay(TimeSpan.FromSeconds(2));

            Assert.Equal(assignmentBefore, restarting.Assignment);
            // The other member saw no rebalance: no revocation, no new assignment (the generation did not change).
            Assert.Equal(steadyEvents, (steady.Assignments.Count, steady.Revocations));
            var described = await DescribeAsync(group);
            Assert.Equal("Stable", described.GroupState);
            Assert.Equal(["restarting-1", "steady-1"], described.Members.Select(m => m.GroupInstanceId).Order());
            Assert.NotEqual(memberIdBefore, described.Members.Single(m => m.GroupInstanceId == "restarting-1").MemberId);
        }
        finally
        {
            restarting.Dispose();
        }
    }

    [Fact]
    public async Task A_kafkajs_member_and_a_librdkafka_member_share_a_group_through_the_roundrobin_protocol()
    {
        var (topic, group) = await CreateTopicAsync("mixed");
        await ProduceAsync(topic, 6, 10);
        using var kafkajs = GroupMember.Kafkajs("kafkajs", node.Bootstrap, topic, group);
        using var librdkafka = GroupMember.Librdkafka("librdkafka", node.Bootstrap, topic, group, assignor: "roundrobin");

        await GroupMember.WaitUntilAsync(
            () => SharedExactly([kafkajs, librdkafka]) && kafkajs.Messages.Count + librdkafka.Messages.Count >= 60,
            Settle, kafkajs, librdkafka);

        Assert.Equal(3, kafkajs.Assignment.Length);
        Assert.Equal(3, librdkafka.Assignment.Length);
        Assert.Equal("roundrobin", (await DescribeAsync(group)).ProtocolData);
        var expected = Enumerable.Range(0, 6).SelectMany(p => Enumerable.Range(0, 10).Select(i => $"p{p}-{i}"));
        Assert.Equal(expected.Order(StringComparer.Ordinal),
            kafkajs.Messages.Concat(librdkafka.Messages).Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>True when the members' current assignments cover partitions 0-5 once each and none is empty.</summary>
    private static bool SharedExactly(GroupMember[] members) =>
        members.All(m => m.Assignment.Length > 0)
        && members.SelectMany(m => m.Assignment).Order().SequenceEqual(Enumerable.Range(0, 6));

    private async Task<(string Topic, string Group)> CreateTopicAsync(string prefix)
    {
        var topic = KafkaNode.UniqueTopic(prefix);
        await Batches.CreateTopicAsync(node.Port, topic, 6);
        return (topic, topic + "-g");
    }

    /// <summary>Produces <paramref name="perPartition"/> records "p{partition}-{i}" to each partition with kcat.</summary>
    private async Task ProduceAsync(string topic, int partitions, int perPartition)
    {
        for (var p = 0; p < partitions; p++)
        {
            var partition = p;
            var produced = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-p", $"{p}", "-P"],
                ClientProcess.Lines(Enumerable.Range(0, perPartition).Select(i => $"p{partition}-{i}")));
            Assert.True(produced.ExitCode == 0, produced.Describe());
        }
    }

    private async Task<DescribeGroupsResponse.DescribedGroup> DescribeAsync(string group)
    {
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        var response = await client.RequestAsync<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, new DescribeGroupsRequest { Groups = [group] });
        return response.Groups.Single();
    }
}
