using Herald.Broker.Topics;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Broker.Tests.Topics;

public sealed class TopicRegistryTests
{
    [Fact]
    public async Task Create_opens_one_log_per_partition_and_issues_a_non_zero_topic_id()
    {
        await using var fixture = await BrokerFixture.StartAsync();

        var created = await fixture.Broker.Topics.CreateAsync("orders", 3, [], validateOnly: false);

        Assert.Equal(TopicError.None, created.Error);
        var topic = created.Topic!;
        Assert.NotEqual(Guid.Empty, topic.Id);
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.Index));
        Assert.All(new[] { "orders-0", "orders-1", "orders-2" }, name => Assert.NotNull(fixture.Storage.TryGetLog(name)));
        Assert.True(fixture.Broker.Topics.TryGet(topic.Id, out var byId) && ReferenceEquals(topic, byId));
    }

    [Fact]
    public async Task Topics_configs_ids_and_data_survive_a_reopen()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var created = await fixture.Broker.Topics.CreateAsync("events", 2, [new("retention.ms", "1000")], validateOnly: false);
        var appended = created.Topic!.Partitions[1].Append(Batch(3));
        await appended.Durable;
        var clusterId = fixture.Broker.ClusterId;

        await fixture.ReopenAsync();

        Assert.True(fixture.Broker.Topics.TryGet("events", out var topic));
        Assert.Equal(created.Topic.Id, topic.Id);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.Equal("1000", topic.Configs.Overrides["retention.ms"]);
        Assert.Equal(TimeSpan.FromSeconds(1), fixture.Storage.TryGetLog("events-1")!.Options.RetentionTime);
        Assert.Equal(new Offset(3), topic.Partitions[1].HighWatermark);
        Assert.Equal(clusterId, fixture.Broker.ClusterId);
        Assert.Equal(22, clusterId.Length);
    }

    [Fact]
    public async Task Delete_removes_the_topic_and_its_logs_so_a_recreated_topic_starts_empty()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var first = (await fixture.Broker.Topics.CreateAsync("jobs", 1, [], validateOnly: false)).Topic!;
        await first.Partitions[0].Append(Batch(5)).Durable;

        var deleted = await fixture.Broker.Topics.DeleteAsync("jobs");
        var second = (await fixture.Broker.Topics.CreateAsync("jobs", 1, [], validateOnly: false)).Topic!;

        Assert.Equal(TopicError.None, deleted);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(Offset.Zero, second.Partitions[0].HighWatermark);
        Assert.Equal(TopicError.UnknownTopicOrPartition, await fixture.Broker.Topics.DeleteAsync("never-was"));
    }

    [Fact]
    public async Task A_deletion_interrupted_before_its_logs_were_removed_is_finished_at_the_next_start()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var topic = (await fixture.Broker.Topics.CreateAsync("half", 1, [], validateOnly: false)).Topic!;
        await topic.Partitions[0].Append(Batch(2)).Durable;
        // What the first step of a deletion leaves when the process dies right after it.
        await fixture.Storage.Metadata.WriteAsync(
        [
            new("topic/half", null),
            new("topic-deletion/" + topic.Id.ToString("N"), System.Text.Encoding.UTF8.GetBytes(
                "{\"name\":\"half\",\"id\":\"" + topic.Id + "\",\"partitions\":1,\"configs\":{}}")),
        ]);

        await fixture.ReopenAsync();
        var recreated = (await fixture.Broker.Topics.CreateAsync("half", 1, [], validateOnly: false)).Topic!;

        Assert.DoesNotContain(fixture.Storage.Metadata.Entries.Keys, k => k.StartsWith("topic-deletion/", StringComparison.Ordinal));
        Assert.Equal(Offset.Zero, recreated.Partitions[0].LogEndOffset);
    }

    [Theory]
    [InlineData("", TopicError.InvalidTopicName)]
    [InlineData(".", TopicError.InvalidTopicName)]
    [InlineData("..", TopicError.InvalidTopicName)]
    [InlineData("has space", TopicError.InvalidTopicName)]
    [InlineData("ümlaut", TopicError.InvalidTopicName)]
    [InlineData("ok.name_with-all-legal.chars", TopicError.None)]
    public async Task Names_follow_Kafkas_rules(string name, TopicError expected)
    {
        await using var fixture = await BrokerFixture.StartAsync();

        var created = await fixture.Broker.Topics.CreateAsync(name, 1, [], validateOnly: false);

        Assert.Equal(expected, created.Error);
    }

    [Fact]
    public async Task A_name_of_249_characters_is_accepted_and_250_refused()
    {
        await using var fixture = await BrokerFixture.StartAsync();

        var longest = await fixture.Broker.Topics.CreateAsync(new string('a', 249), 1, [], validateOnly: false);
        var tooLong = await fixture.Broker.Topics.CreateAsync(new string('b', 250), 1, [], validateOnly: false);

        Assert.Equal(TopicError.None, longest.Error);
        Assert.Equal(TopicError.InvalidTopicName, tooLong.Error);
    }

    [Fact]
    public async Task Names_differing_only_by_dot_and_underscore_collide()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        await fixture.Broker.Topics.CreateAsync("a.b", 1, [], validateOnly: false);

        var twin = await fixture.Broker.Topics.CreateAsync("a_b", 1, [], validateOnly: false);

        Assert.Equal(TopicError.InvalidTopicName, twin.Error);
    }

    [Fact]
    public async Task Auto_creation_uses_the_default_partition_count_and_can_be_turned_off()
    {
        await using var on = await BrokerFixture.StartAsync(new TopicRegistryOptions { DefaultPartitions = 4 });
        await using var off = await BrokerFixture.StartAsync(new TopicRegistryOptions { AutoCreateTopics = false });

        var created = await on.Broker.Topics.GetOrCreateAsync("auto");
        var refused = await off.Broker.Topics.GetOrCreateAsync("auto");

        Assert.Equal(4, created.Topic!.Partitions.Count);
        Assert.Equal((null, TopicError.UnknownTopicOrPartition), (refused.Topic, refused.Error));
    }

    [Fact]
    public async Task Invalid_configs_and_partition_counts_are_refused_and_validate_only_creates_nothing()
    {
        await using var fixture = await BrokerFixture.StartAsync();

        var unknown = await fixture.Broker.Topics.CreateAsync("t1", 1, [new("retention.minutes", "5")], validateOnly: false);
        var badValue = await fixture.Broker.Topics.CreateAsync("t2", 1, [new("cleanup.policy", "archive")], validateOnly: false);
        var tinySegment = await fixture.Broker.Topics.CreateAsync("t3", 1, [new("segment.bytes", "100")], validateOnly: false);
        var noPartitions = await fixture.Broker.Topics.CreateAsync("t4", 0, [], validateOnly: false);
        var validated = await fixture.Broker.Topics.CreateAsync("t5", 2, [], validateOnly: true);

        Assert.Equal(TopicError.InvalidConfig, unknown.Error);
        Assert.Equal(TopicError.InvalidConfig, badValue.Error);
        Assert.Equal(TopicError.InvalidConfig, tinySegment.Error);
        Assert.Equal(TopicError.InvalidPartitions, noPartitions.Error);
        Assert.Equal((TopicError.None, 2), (validated.Error, validated.Partitions));
        Assert.False(fixture.Broker.Topics.TryGet("t5", out _));
    }

    [Fact]
    public async Task Altering_configs_applies_them_to_the_logs_and_persists_them()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        await fixture.Broker.Topics.CreateAsync("compacted", 1, [], validateOnly: false);

        var (error, _) = await fixture.Broker.Topics.AlterConfigsAsync("compacted",
            [new("cleanup.policy", "compact"), new("segment.bytes", "1048576"), new("min.compaction.lag.ms", "5000")], validateOnly: false);
        await fixture.ReopenAsync();

        Assert.Equal(TopicError.None, error);
        var options = fixture.Storage.TryGetLog("compacted-0")!.Options;
        Assert.Equal((CleanupPolicy.Compact, 1048576L, TimeSpan.FromSeconds(5)), (options.Cleanup, options.SegmentSizeBytes, options.MinCompactionLag));
    }

    [Fact]
    public async Task A_fetch_waiting_on_a_partition_is_woken_when_an_append_becomes_durable()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("signal", 1, [], validateOnly: false)).Topic!.Partitions[0];
        var waiting = partition.DataArrived;

        Assert.False(waiting.IsCompleted);
        await partition.Append(Batch(1)).Durable;

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new Offset(1), partition.HighWatermark);
    }

    [Fact]
    public async Task The_max_timestamp_lookup_finds_the_newest_record_and_follows_later_appends()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("times", 1, [], validateOnly: false)).Topic!.Partitions[0];
        await partition.Append(Batch(3, timestamp: 5_000)).Durable;
        await partition.Append(Batch(2, timestamp: 1_000)).Durable;

        partition.TryFindMaxTimestamp(out var first);
        await partition.Append(Batch(2, timestamp: 9_000)).Durable;
        partition.TryFindMaxTimestamp(out var second);

        Assert.Equal((new Offset(2), 5_002L), first);
        Assert.Equal((new Offset(6), 9_001L), second);
    }

    internal static byte[] Batch(int records, long timestamp = 1_700_000_000_000)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(timestamp);
        for (var i = 0; i < records; i++)
        {
            builder.Add(timestamp + i, "k"u8, "v"u8);
        }
        return builder.Build().ToArray();
    }
}
