using Herald.Broker.Messages;
using Herald.Broker.Queues;
using Herald.Broker.Tests.Topics;
using Herald.Broker.VirtualHosts;
using static Herald.Broker.Tests.Queues.TestMessages;

namespace Herald.Broker.Tests.Queues;

public class QueueFeatureTests
{
    /// <summary>A queue "q" with the given arguments dead-lettering to fanout exchange "dlx", which feeds "dead".</summary>
    private static async Task<VirtualHost> WithDeadLetterQueueAsync(BrokerFixture fixture, params (string, object?)[] arguments)
    {
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareExchangeAsync("dlx", "fanout", false, true, false, false, NoArguments);
        await host.DeclareAsync("dead");
        await host.BindQueueAsync("dead", "dlx", "", NoArguments, null);
        await host.DeclareAsync("q", arguments: Arguments([("x-dead-letter-exchange", "dlx"), .. arguments]));
        return host;
    }

    [Fact]
    public async Task Rejected_messages_are_dead_lettered_with_a_death_record()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-dead-letter-routing-key", "moved"));
        host.PublishText("", "q", "m", expiration: 60_000);
        var session = host.OpenSession(null, new RecordingTarget());
        var delivery = session.Get("q", false)!.Value;
        session.Nack(delivery.DeliveryTag, false, requeue: false);
        var dead = Assert.Single(host.Drain("dead"));
        Assert.Equal("moved", dead.Message.RoutingKey);
        Assert.Equal("dlx", dead.Message.Exchange);
        Assert.Null(dead.Message.Properties.ExpirationMilliseconds);
        var death = Assert.Single(dead.Message.Deaths);
        Assert.Equal(("q", "rejected", "", 1L), (death.Queue, death.ReasonName, death.Exchange, death.Count));
        Assert.Equal(["q"], death.RoutingKeys);
        Assert.Equal(60_000, death.OriginalExpirationMilliseconds);
        Assert.Equal(death, dead.Message.FirstDeath);
        Assert.Equal(new byte[] { 1, 2, 3 }, dead.Message.Properties.Encoded.ToArray());
    }

    [Fact]
    public async Task Queue_ttl_expires_messages_at_the_head_on_the_clock_and_dead_letters_them()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-message-ttl", 1000));
        host.Publish(Text("", "q", "old", timestamp: fixture.Clock.GetUtcNow().ToUnixTimeMilliseconds()));
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(600));
        host.Publish(Text("", "q", "young", timestamp: fixture.Clock.GetUtcNow().ToUnixTimeMilliseconds()));
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, host.GetQueue("q", null).MessageCount);
        var dead = Assert.Single(host.Drain("dead"));
        Assert.Equal("expired", dead.Message.Deaths[0].ReasonName);
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(0, host.GetQueue("q", null).MessageCount);
    }

    [Fact]
    public async Task Per_message_expiration_applies_when_delivered()
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("q");
        var now = fixture.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        host.Publish(Text("", "q", "long", expiration: 10_000, timestamp: now));
        host.Publish(Text("", "q", "short", expiration: 100, timestamp: now));
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, host.GetQueue("q", null).MessageCount); // the short one is not at the head yet
        var bodies = host.Drain("q").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span));
        Assert.Equal(["long"], bodies);
    }

    [Fact]
    public async Task Max_length_drop_head_dead_letters_the_oldest_with_reason_maxlen()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-max-length", 2));
        for (var i = 0; i < 4; i++)
        {
            Assert.False(host.PublishText("", "q", $"m{i}").Rejected);
        }
        Assert.Equal(2, host.GetQueue("q", null).MessageCount);
        var dead = host.Drain("dead");
        Assert.Equal(["m0", "m1"], dead.Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span)));
        Assert.All(dead, d => Assert.Equal("maxlen", d.Message.Deaths[0].ReasonName));
    }

    [Fact]
    public async Task Max_length_bytes_with_reject_publish_refuses_and_reject_publish_dlx_also_dead_letters()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-max-length-bytes", 4), ("x-overflow", "reject-publish-dlx"));
        await host.DeclareAsync("plain", arguments: Arguments(("x-max-length", 1), ("x-overflow", "reject-publish")));
        Assert.False(host.PublishText("", "plain", "a").Rejected);
        Assert.True(host.PublishText("", "plain", "b").Rejected);
        Assert.False(host.PublishText("", "q", "1234").Rejected);
        Assert.True(host.PublishText("", "q", "5").Rejected);
        Assert.Equal("maxlen", Assert.Single(host.Drain("dead")).Message.Deaths[0].ReasonName);
    }

    [Fact]
    public async Task Delivery_limit_dead_letters_a_poison_message_and_counts_repeat_deaths()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-delivery-limit", 1));
        host.PublishText("", "q", "poison");
        var session = host.OpenSession(null, new RecordingTarget());
        session.Nack(session.Get("q", false)!.Value.DeliveryTag, false, true);
        var second = session.Get("q", false)!.Value;
        Assert.True(second.Redelivered);
        session.Nack(second.DeliveryTag, false, true);
        Assert.Equal(0, host.GetQueue("q", null).MessageCount);
        var dead = Assert.Single(host.Drain("dead"));
        Assert.Equal("delivery_limit", dead.Message.Deaths[0].ReasonName);

        // Dead-lettered again from the same queue for the same reason: the count goes up, the entry stays one.
        await host.BindQueueAsync("q", "amq.direct", "back", NoArguments, null);
        host.Publish(new Message("amq.direct", "back", dead.Message.Body, dead.Message.Properties, 0, dead.Message.Deaths, dead.Message.FirstDeath));
        var again = host.OpenSession(null, new RecordingTarget());
        again.Nack(again.Get("q", false)!.Value.DeliveryTag, false, requeue: false);
        var twice = Assert.Single(host.Drain("dead"));
        Assert.Equal(["rejected", "delivery_limit"], twice.Message.Deaths.Select(d => d.ReasonName));
        Assert.Equal("delivery_limit", twice.Message.FirstDeath!.ReasonName);
    }

    [Fact]
    public async Task Unused_queue_expires_after_x_expires()
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("temp", arguments: Arguments(("x-expires", 1000)));
        var session = host.OpenSession(null, new RecordingTarget());
        session.Consume("temp", "c", true, false, NoArguments);
        fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(host.TryGetQueue("temp", out _)); // in use
        session.Cancel("c");
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(host.TryGetQueue("temp", out _));
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(2));
        await WaitUntilAsync(() => !host.TryGetQueue("temp", out _), "the expired queue is deleted");
    }

    /// <summary>
    /// A burst published together: each queue stores its share as one multi-record batch, yet every message is judged
    /// on its own (drop-head drops as each is added, reject-publish-dlx refuses exactly the overflow and dead-letters
    /// it), priorities order as usual, the burst stops at a missing exchange, and a restart recovers the batch.
    /// </summary>
    [Fact]
    public async Task A_burst_is_one_batch_per_queue_but_each_message_is_judged_on_its_own()
    {
        await using var fixture = await WithFixtureAsync();
        var host = await WithDeadLetterQueueAsync(fixture, ("x-max-length", 3), ("x-overflow", "reject-publish-dlx"));
        await host.DeclareAsync("drop", arguments: Arguments(("x-max-length", 2)));
        await host.DeclareAsync("prio", arguments: Arguments(("x-max-priority", 5)));
        var burst = new List<Message>();
        for (var i = 0; i < 5; i++)
        {
            burst.Add(Text("", "q", $"q{i}"));
            burst.Add(Text("", "drop", $"d{i}"));
            burst.Add(Text("", "prio", $"p{i}", persistent: i != 1, priority: (byte)(i == 3 ? 5 : 0)));
        }
        burst.Add(Text("missing", "q", "never"));
        burst.Add(Text("", "q", "after the missing exchange"));
        var results = new PublishResult[burst.Count];

        var count = host.Publish(burst.ToArray(), results);

        Assert.Equal(16, count);
        Assert.Equal(PublishStatus.ExchangeNotFound, results[15].Status);
        Assert.Equal([false, false, false, true, true], Enumerable.Range(0, 5).Select(i => results[3 * i].Rejected));
        Assert.All(Enumerable.Range(0, 15), i => Assert.Equal(PublishStatus.Routed, results[i].Status));
        await Task.WhenAll(results.Take(15).Select(r => r.Durable));
        Assert.Equal(["q3", "q4"], host.Drain("dead").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span)));
        Assert.Equal(["d3", "d4"], host.Drain("drop").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span)));
        Assert.Equal(3, host.GetQueue("q", null).MessageCount);

        await fixture.ReopenAsync();
        host = fixture.Broker.VirtualHosts.Default;
        Assert.Equal(["q0", "q1", "q2"], host.Drain("q").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span)));
        // p1 was transient; p3 jumps the line by priority.
        Assert.Equal(["p3", "p0", "p2", "p4"], host.Drain("prio").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span)));
    }

    /// <summary>
    /// Reject-publish counts each message of a burst once, whether the queue adds messages as they come (a transient
    /// queue, in memory) or in several appends (a durable queue whose burst exceeds one append's size).
    /// </summary>
    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 100_000)]
    public async Task A_burst_into_a_reject_publish_queue_refuses_exactly_the_overflow(bool durable, int bodyBytes)
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("limited", durable, Arguments(("x-max-length", 5), ("x-overflow", "reject-publish")));
        var burst = Enumerable.Range(0, 8).Select(i => Text("", "limited", i + new string('x', bodyBytes))).ToArray();
        var results = new PublishResult[burst.Length];

        Assert.Equal(8, host.Publish(burst, results));

        Assert.Equal([false, false, false, false, false, true, true, true], results.Select(r => r.Rejected));
        Assert.Equal(5, host.GetQueue("limited", null).MessageCount);
    }

    [Fact]
    public async Task Acknowledged_messages_stay_gone_and_unacked_persistent_ones_return_after_a_restart()
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("d", arguments: Arguments(("x-max-priority", 3)));
        for (var i = 0; i < 6; i++)
        {
            await host.PublishText("", "d", $"m{i}", persistent: i != 4, priority: (byte)(i == 5 ? 2 : 0)).Durable;
        }
        var session = host.OpenSession(null, new RecordingTarget());
        var tags = Enumerable.Range(0, 3).Select(_ => session.Get("d", false)!.Value).ToList();
        Assert.Equal("m5", System.Text.Encoding.UTF8.GetString(tags[0].Message.Body.Span));
        session.Ack(tags[0].DeliveryTag, false);
        session.Ack(tags[2].DeliveryTag, false); // m5 and m1 acked, m0 unacked at the restart
        await fixture.ReopenAsync();
        host = fixture.Broker.VirtualHosts.Default;
        var bodies = host.Drain("d").Select(d => System.Text.Encoding.UTF8.GetString(d.Message.Body.Span));
        Assert.Equal(["m0", "m2", "m3"], bodies); // m4 was transient
        var recovered = host.GetQueue("d", null);
        Assert.Equal(new byte[] { 1, 2, 3 }, Text("", "", "").Properties.Encoded.ToArray());
        await fixture.ReopenAsync();
        Assert.Equal(0, fixture.Broker.VirtualHosts.Default.GetQueue("d", null).MessageCount);
        _ = recovered;
    }

    [Fact]
    public async Task Ack_state_survives_many_snapshots_and_settled_segments_are_released()
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("big");
        const int count = 5000;
        Task last = Task.CompletedTask;
        for (var i = 0; i < count; i++)
        {
            last = host.PublishText("", "big", $"m{i}").Durable;
        }
        await last;
        var session = host.OpenSession(null, new RecordingTarget());
        for (var i = 0; i < count - 10; i++)
        {
            var delivery = session.Get("big", false)!.Value;
            session.Ack(delivery.DeliveryTag, false);
        }
        await fixture.ReopenAsync();
        var rest = fixture.Broker.VirtualHosts.Default.Drain("big");
        Assert.Equal(10, rest.Count);
        Assert.Equal($"m{count - 10}", System.Text.Encoding.UTF8.GetString(rest[0].Message.Body.Span));
    }

    [Fact]
    public async Task A_dead_letter_cycle_without_rejections_stops_instead_of_looping()
    {
        await using var fixture = await WithFixtureAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        // Two queues with max-length 1 dead-lettering into each other: without the cycle rule a full pair loops forever.
        await host.DeclareAsync("a", arguments: Arguments(("x-max-length", 1), ("x-dead-letter-exchange", ""), ("x-dead-letter-routing-key", "b")));
        await host.DeclareAsync("b", arguments: Arguments(("x-max-length", 1), ("x-dead-letter-exchange", ""), ("x-dead-letter-routing-key", "a")));
        for (var i = 0; i < 5; i++)
        {
            host.PublishText("", "a", $"m{i}");
        }
        Assert.Equal(1, host.GetQueue("a", null).MessageCount);
        Assert.Equal(1, host.GetQueue("b", null).MessageCount);
    }

    private static Task<BrokerFixture> WithFixtureAsync() => BrokerFixture.StartAsync();
}
