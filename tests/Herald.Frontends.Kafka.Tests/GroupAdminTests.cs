using System.Text.Json;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// ListGroups, DescribeGroups, DeleteGroups and OffsetDelete through each client's admin API (confluent-kafka-python's
/// list_groups, kafka-python's KafkaAdminClient, kafkajs's admin) and, for what no client here exposes (the v4 states
/// filter, authorized operations, OffsetDelete), through raw requests.
/// </summary>
public sealed class GroupAdminTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Fact]
    public async Task Librdkafka_list_groups_describes_a_stable_group_with_its_member_and_a_group_of_simple_commits()
    {
        var topic = KafkaNode.UniqueTopic("cadm");
        var report = (await ClientProcess.PythonScriptAsync("confluent_admin.py", node.Bootstrap, topic, topic + "-g")).Report();

        var all = report.GetProperty("all").EnumerateArray().Where(g => g.GetProperty("id").GetString()!.StartsWith(topic, StringComparison.Ordinal)).ToList();
        Assert.Equal([topic + "-g", topic + "-g-simple"], all.Select(g => g.GetProperty("id").GetString()));
        var stable = report.GetProperty("one").EnumerateArray().Single();
        Assert.Equal(("Stable", "consumer", "range"), (S(stable, "state"), S(stable, "protocol_type"), S(stable, "protocol")));
        var member = stable.GetProperty("members").EnumerateArray().Single();
        Assert.Equal(("admin-test-member", "/127.0.0.1"), (S(member, "client_id"), S(member, "client_host")));
        Assert.StartsWith("admin-test-member-", S(member, "id"));
        Assert.True(member.GetProperty("metadata").GetInt32() > 0 && member.GetProperty("assignment").GetInt32() > 0);
        Assert.Equal(("Empty", "", 0), (S(all[1], "state"), S(all[1], "protocol_type"), all[1].GetProperty("members").GetArrayLength()));
    }

    [Fact]
    public async Task Kafka_python_admin_lists_describes_and_deletes_groups_with_kafkas_errors()
    {
        var topic = KafkaNode.UniqueTopic("kpadm");
        var group = topic + "-g";
        var report = (await ClientProcess.PythonScriptAsync("kafka_python_admin.py", node.Bootstrap, topic, group)).Report();

        var listed = report.GetProperty("listed").EnumerateArray()
            .Select(g => (g[0].GetString(), g[1].GetString())).Where(g => g.Item1!.StartsWith(topic, StringComparison.Ordinal));
        Assert.Equal([(group, "consumer"), (group + "-simple", "")], listed);
        Assert.Equal(("Stable", "consumer", "range"), (S(report, "state"), S(report, "protocol_type"), S(report, "protocol")));
        var member = report.GetProperty("members").EnumerateArray().Single();
        Assert.Equal(("kafka-python-member", "/127.0.0.1"), (S(member, "client_id"), S(member, "client_host")));
        Assert.Equal([topic], member.GetProperty("subscription").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal($"[[\"{topic}\",[0,1]]]", member.GetProperty("assignment").GetRawText().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("[3,\"note\"]", report.GetProperty("simple_offsets").GetProperty($"{topic}/0").GetRawText().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(
            [[group, "NonEmptyGroupError"], [group + "-simple", "NoError"], [group + "-unknown", "GroupIdNotFoundError"]],
            report.GetProperty("deleted").EnumerateArray().Select(d => d.EnumerateArray().Select(x => x.GetString()).ToArray()));
        Assert.Equal(0, report.GetProperty("after_delete").GetInt32());
    }

    [Fact]
    public async Task Kafkajs_admin_lists_describes_and_deletes_groups_and_refuses_to_delete_one_with_members()
    {
        var topic = KafkaNode.UniqueTopic("kjadm");
        var group = topic + "-g";
        var clients = Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node");
        var report = (await ClientProcess.RunAsync("node", ["kafkajs-admin.js", node.Bootstrap, topic, group], workingDirectory: clients)).Report();

        Assert.Equal([group, group + "-done"], report.GetProperty("listed").EnumerateArray().Select(g => S(g, "groupId")));
        var described = report.GetProperty("described").EnumerateArray().ToList();
        Assert.Equal(("Stable", "consumer", "RoundRobinAssigner"), (S(described[0], "state"), S(described[0], "protocolType"), S(described[0], "protocol")));
        var member = described[0].GetProperty("members").EnumerateArray().Single();
        Assert.Equal(("herald-kafkajs-admin", "/127.0.0.1"), (S(member, "clientId"), S(member, "clientHost")));
        Assert.True(member.GetProperty("metadata").GetInt32() > 0 && member.GetProperty("assignment").GetInt32() > 0);
        Assert.Equal(("Empty", 0), (S(described[1], "state"), described[1].GetProperty("members").GetArrayLength()));
        Assert.Equal($"[[\"{group}-done\",0]]", report.GetProperty("deleted").GetRawText());
        Assert.Equal("[\"NON_EMPTY_GROUP\"]", report.GetProperty("refused").GetRawText());
        Assert.Equal("[\"-1\",\"-1\"]", report.GetProperty("after").GetRawText());
    }

    [Fact]
    public async Task States_filter_authorized_operations_and_OffsetDelete_follow_kafka()
    {
        var topic = KafkaNode.UniqueTopic("radm");
        var other = topic + "-other";
        var group = topic + "-g";
        await Batches.CreateTopicAsync(node.Port, topic, 6);
        await Batches.CreateTopicAsync(node.Port, other, 1);
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);
        // A simple commit for a topic the group will not subscribe to, made while the group has no members.
        var commit = await client.RequestAsync<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, new OffsetCommitRequest
        {
            GroupId = group,
            Topics = [new() { Name = other, Partitions = [new() { PartitionIndex = 0, CommittedOffset = 7 }] }],
        });
        Assert.Equal(0, commit.Topics[0].Partitions[0].ErrorCode);
        using var member = GroupMember.Librdkafka("member", node.Bootstrap, topic, group);
        await GroupMember.WaitUntilAsync(() => member.Assignment.Length == 6, TimeSpan.FromSeconds(40), member);
        await Task.Delay(1000);

        var stable = await client.RequestAsync<ListGroupsResponse>(ApiKey.ListGroups, 4, new ListGroupsRequest { StatesFilter = ["stable"] });
        var empty = await client.RequestAsync<ListGroupsResponse>(ApiKey.ListGroups, 4, new ListGroupsRequest { StatesFilter = ["Empty"] });
        Assert.Contains(stable.Groups, g => g.GroupId == group && g.GroupState == "Stable" && g.ProtocolType == "consumer");
        Assert.DoesNotContain(empty.Groups, g => g.GroupId == group);

        var described = await client.RequestAsync<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5,
            new DescribeGroupsRequest { Groups = [group, "no-such-group"], IncludeAuthorizedOperations = true });
        Assert.Equal((1 << 3) | (1 << 6) | (1 << 8), described.Groups[0].AuthorizedOperations);
        Assert.Equal("/127.0.0.1", described.Groups[0].Members.Single().ClientHost);
        Assert.Equal(("Dead", (short)0), (described.Groups[1].GroupState, described.Groups[1].ErrorCode));

        var deleted = await client.RequestAsync<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, new OffsetDeleteRequest
        {
            GroupId = group,
            Topics =
            [
                new() { Name = topic, Partitions = [new() { PartitionIndex = 0 }] },
                new() { Name = other, Partitions = [new() { PartitionIndex = 0 }] },
            ],
        });
        Assert.Equal(0, deleted.ErrorCode);
        Assert.Equal((short)ErrorCode.GroupSubscribedToTopic, deleted.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(0, deleted.Topics[1].Partitions[0].ErrorCode);
        var unknown = await client.RequestAsync<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, new OffsetDeleteRequest
        {
            GroupId = "no-such-group",
            Topics = [new() { Name = other, Partitions = [new() { PartitionIndex = 0 }] }],
        });
        Assert.Equal((short)ErrorCode.GroupIdNotFound, unknown.ErrorCode);
        var fetched = await client.RequestAsync<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, new OffsetFetchRequest { GroupId = group, Topics = null });
        Assert.DoesNotContain(fetched.Topics, t => t.Name == other);

        var refused = await client.RequestAsync<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, new DeleteGroupsRequest { GroupsNames = [group] });
        Assert.Equal((short)ErrorCode.NonEmptyGroup, refused.Results[0].ErrorCode);
    }

    [Fact]
    public async Task A_deleted_group_and_its_offsets_stay_deleted_after_a_restart()
    {
        var topic = KafkaNode.UniqueTopic("delg");
        var group = topic + "-g";
        await Batches.CreateTopicAsync(node.Port, topic, 2);
        await using (var client = await RawKafkaClient.ConnectAsync(node.Port))
        {
            await client.RequestAsync<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, new OffsetCommitRequest
            {
                GroupId = group,
                Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, CommittedOffset = 4 }, new() { PartitionIndex = 1, CommittedOffset = 5 }] }],
            });
            var deleted = await client.RequestAsync<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, new DeleteGroupsRequest { GroupsNames = [group, ""] });
            Assert.Equal([(short)0, (short)ErrorCode.InvalidGroupId], deleted.Results.Select(r => r.ErrorCode));
        }

        await node.RestartAsync();

        await using var after = await RawKafkaClient.ConnectAsync(node.Port);
        var listed = await after.RequestAsync<ListGroupsResponse>(ApiKey.ListGroups, 3, new ListGroupsRequest());
        Assert.DoesNotContain(listed.Groups, g => g.GroupId == group);
        var fetched = await after.RequestAsync<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new() { Name = topic, PartitionIndexes = [0, 1] }],
        });
        Assert.Equal([-1L, -1L], fetched.Topics[0].Partitions.Select(p => p.CommittedOffset));
    }

    private static string? S(JsonElement element, string name) => element.GetProperty(name).GetString();
}
