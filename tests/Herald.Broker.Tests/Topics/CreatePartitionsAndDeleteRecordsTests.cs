using Herald.Broker.Topics;
using Herald.Primitives.Records;

namespace Herald.Broker.Tests.Topics;

/// <summary>Growing a topic (Kafka CreatePartitions) and moving a partition's log start (Kafka DeleteRecords).</summary>
public sealed class CreatePartitionsAndDeleteRecordsTests
{
    private static byte[] Batch(int count)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(1_700_000_000_000);
        for (var i = 0; i < count; i++)
        {
            builder.Add(1_700_000_000_000, [(byte)'k'], [(byte)i]);
        }
        return builder.Build().ToArray();
    }

    [Fact]
    public async Task A_topic_grows_keeps_its_data_and_the_new_count_survives_a_restart()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var topic = (await fixture.Broker.Topics.CreateAsync("grow", 2, [], false)).Topic!;
        await topic.Partitions[1].Append(Batch(3)).Durable;

        var validateOnly = await fixture.Broker.Topics.CreatePartitionsAsync("grow", 5, validateOnly: true);
        Assert.Equal(2, topic.Partitions.Count);
        var grown = await fixture.Broker.Topics.CreatePartitionsAsync("grow", 5, validateOnly: false);
        await fixture.ReopenAsync();

        Assert.Equal((TopicError.None, TopicError.None), (validateOnly.Error, grown.Error));
        fixture.Broker.Topics.TryGet("grow", out var reopened);
        Assert.Equal(5, reopened!.Partitions.Count);
        Assert.Equal(3, reopened.Partitions[1].HighWatermark.Value);
        Assert.Equal(TopicError.None, reopened.Partitions[4].Append(Batch(1)).Error);
    }

    [Theory]
    [InlineData(3, "Topic already has 3 partition(s).")]
    [InlineData(2, "The topic shrink currently has 3 partition(s); 2 would not be an increase.")]
    public async Task A_count_that_is_not_an_increase_is_invalid_partitions(int count, string message)
    {
        await using var fixture = await BrokerFixture.StartAsync();
        await fixture.Broker.Topics.CreateAsync("shrink", 3, [], false);

        var result = await fixture.Broker.Topics.CreatePartitionsAsync("shrink", count, validateOnly: false);

        Assert.Equal((TopicError.InvalidPartitions, message), result);
        Assert.Equal(TopicError.UnknownTopicOrPartition, (await fixture.Broker.Topics.CreatePartitionsAsync("nope", 4, false)).Error);
    }

    [Fact]
    public async Task Deleting_records_moves_the_log_start_up_to_the_high_watermark_and_survives_a_restart()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("trim", 1, [], false)).Topic!.Partitions[0];
        await partition.Append(Batch(10)).Durable;

        var beyond = partition.DeleteRecordsBefore(11, out _, out _);
        var trimmed = partition.DeleteRecordsBefore(4, out var low, out _);
        var backwards = partition.DeleteRecordsBefore(2, out var unchanged, out _);
        await fixture.ReopenAsync();
        fixture.Broker.Topics.TryGet("trim", out var reopened);
        var all = reopened!.Partitions[0].DeleteRecordsBefore(Partition.DeleteToHighWatermark, out var end, out _);

        Assert.Equal(TopicError.OffsetOutOfRange, beyond);
        Assert.Equal((TopicError.None, 4L), (trimmed, low.Value));
        Assert.Equal((TopicError.None, 4L), (backwards, unchanged.Value));
        Assert.Equal((TopicError.None, 10L), (all, end.Value));
        Assert.Equal(TopicError.OffsetOutOfRange, reopened.Partitions[0].TryRead(new(5), 1000, out _));
    }

    [Fact]
    public async Task A_compact_only_topic_refuses_to_delete_records()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("compacted", 1, [new("cleanup.policy", "compact")], false)).Topic!.Partitions[0];

        Assert.Equal(TopicError.PolicyViolation, partition.DeleteRecordsBefore(0, out _, out _));
    }
}
