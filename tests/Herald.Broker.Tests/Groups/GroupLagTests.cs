using Herald.Broker.Groups;
using Herald.Broker.Tests.Topics;

namespace Herald.Broker.Tests.Groups;

/// <summary>Consumer lag from committed offsets and partition logs, in messages and in time.</summary>
public sealed class GroupLagTests
{
    [Fact]
    public async Task Lag_counts_messages_after_the_commit_and_the_time_since_the_oldest_unconsumed_batch_was_appended()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var broker = fixture.Broker;
        var topic = (await broker.Topics.CreateAsync("orders", 3, [new("message.timestamp.type", "LogAppendTime")], validateOnly: false)).Topic!;
        await topic.Partitions[0].Append(TopicRegistryTests.Batch(4)).Durable;        // offsets 0-3, appended at start
        fixture.Clock.Advance(TimeSpan.FromSeconds(30));
        await topic.Partitions[0].Append(TopicRegistryTests.Batch(6)).Durable;        // offsets 4-9, at start + 30 s
        await topic.Partitions[1].Append(TopicRegistryTests.Batch(2)).Durable;
        fixture.Clock.Advance(TimeSpan.FromSeconds(45));

        var now = fixture.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await broker.Groups.CommitAsync("g", "", null, -1,
        [
            new OffsetChange("orders", 0, new CommittedOffset(5, -1, null, now)),
            new OffsetChange("orders", 1, new CommittedOffset(2, -1, null, now)),
        ]);

        var lag = broker.Lag.Of("g");
        Assert.Equal(3, lag.Count);
        Assert.Equal(new PartitionLag("orders", 0, 5, 0, 10, 5, TimeSpan.FromSeconds(45)), lag[0]);
        Assert.Equal(new PartitionLag("orders", 1, 2, 0, 2, 0, TimeSpan.Zero), lag[1]);
        Assert.Equal(new PartitionLag("orders", 2, null, 0, 0, null, null), lag[2]);

        await broker.Groups.CommitAsync("g", "", null, -1, [new OffsetChange("orders", 0, new CommittedOffset(2, -1, null, now))]);
        Assert.Equal(TimeSpan.FromSeconds(75), broker.Lag.Of("g", "orders", 0)?.Time);
        Assert.Equal(8, broker.Lag.Of("g", "orders", 0)?.Messages);
        Assert.Null(broker.Lag.Of("g", "missing", 0));
    }
}
