using Herald.Broker.Messages;
using Herald.Broker.Tests.Topics;
using Herald.Broker.VirtualHosts;
using static Herald.Broker.Tests.Queues.TestMessages;

namespace Herald.Broker.Tests.Queues;

public class QueueDeliveryTests
{
    [Fact]
    public async Task Competing_consumers_get_messages_round_robin_and_prefetch_limits_unacked()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("work");
        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        session.SetPrefetch(2, global: false);
        session.Consume("work", "c1", noAck: false, exclusive: false, NoArguments);
        session.Consume("work", "c2", noAck: false, exclusive: false, NoArguments);
        for (var i = 0; i < 6; i++)
        {
            host.PublishText("", "work", $"m{i}");
        }
        var deliveries = target.Deliveries;
        Assert.Equal(4, deliveries.Count); // two consumers × prefetch 2
        Assert.Equal(["c1", "c2", "c1", "c2"], deliveries.Select(d => d.ConsumerTag));
        Assert.Equal([1L, 2, 3, 4], deliveries.Select(d => d.Delivery.DeliveryTag));
        session.Ack(2, multiple: true);
        Assert.Equal(6, target.Deliveries.Count);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5"], target.Bodies);
        Assert.Equal(MessagingError.UnknownDeliveryTag, Assert.Throws<MessagingException>(() => session.Ack(1, false)).Error);
    }

    [Fact]
    public async Task Channel_prefetch_limits_the_whole_session()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("a");
        await host.DeclareAsync("b");
        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        session.SetPrefetch(3, global: true);
        session.Consume("a", "ca", false, false, NoArguments);
        session.Consume("b", "cb", false, false, NoArguments);
        for (var i = 0; i < 4; i++)
        {
            host.PublishText("", "a", "a");
            host.PublishText("", "b", "b");
        }
        Assert.Equal(3, target.Deliveries.Count);
        session.Ack(0, multiple: true);
        Assert.Equal(6, target.Deliveries.Count);
    }

    [Fact]
    public async Task Nack_with_requeue_redelivers_in_order_with_the_redelivered_flag()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("q");
        for (var i = 0; i < 3; i++)
        {
            host.PublishText("", "q", $"m{i}");
        }
        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        var first = session.Get("q", noAck: false)!.Value;
        var second = session.Get("q", noAck: false)!.Value;
        Assert.False(first.Redelivered);
        Assert.Equal(2, first.MessageCount);
        session.Nack(second.DeliveryTag, multiple: true, requeue: true);
        var again = session.Get("q", noAck: true)!.Value;
        Assert.Equal("m0", System.Text.Encoding.UTF8.GetString(again.Message.Body.Span));
        Assert.True(again.Redelivered);
        Assert.Equal(2, host.GetQueue("q", null).MessageCount);
    }

    [Fact]
    public async Task Closing_a_session_returns_unacked_messages_to_the_front_in_order()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("q");
        for (var i = 0; i < 5; i++)
        {
            host.PublishText("", "q", $"m{i}");
        }
        var first = host.OpenSession(null, new RecordingTarget());
        first.SetPrefetch(3, false);
        first.Consume("q", "c", false, false, NoArguments);
        first.Ack(2, multiple: false);
        first.Close();
        var target = new RecordingTarget();
        var second = host.OpenSession(null, target);
        second.Consume("q", "c", false, false, NoArguments);
        // m1 was acked, which let m3 through before the close.
        Assert.Equal(["m0", "m2", "m3", "m4"], target.Bodies);
        Assert.Equal([true, true, true, false], target.Deliveries.Select(d => d.Delivery.Redelivered));
    }

    [Fact]
    public async Task Consumer_priority_wins_while_it_has_credit_and_single_active_consumer_feeds_only_the_first()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("p");
        await host.DeclareAsync("sac", arguments: Arguments(("x-single-active-consumer", true)));
        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        session.SetPrefetch(1, false);
        session.Consume("p", "low", false, false, NoArguments);
        session.Consume("p", "high", false, false, Arguments(("x-priority", 10)));
        host.PublishText("", "p", "1");
        host.PublishText("", "p", "2");
        Assert.Equal(["high", "low"], target.Deliveries.Select(d => d.ConsumerTag));

        var sacTarget = new RecordingTarget();
        var sacSession = host.OpenSession(null, sacTarget);
        sacSession.Consume("sac", "first", true, false, NoArguments);
        sacSession.Consume("sac", "second", true, false, NoArguments);
        host.PublishText("", "sac", "a");
        host.PublishText("", "sac", "b");
        sacSession.Cancel("first");
        host.PublishText("", "sac", "c");
        Assert.Equal(["first", "first", "second"], sacTarget.Deliveries.Select(d => d.ConsumerTag));
    }

    [Fact]
    public async Task Priority_queue_delivers_higher_priorities_first_and_fifo_within_a_level()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("prio", arguments: Arguments(("x-max-priority", 5)));
        host.PublishText("", "prio", "low1", priority: 1);
        host.PublishText("", "prio", "high", priority: 9); // above the maximum: counts as 5
        host.PublishText("", "prio", "none");
        host.PublishText("", "prio", "low2", priority: 1);
        host.PublishText("", "prio", "mid", priority: 3);
        var target = new RecordingTarget();
        host.OpenSession(null, target).Consume("prio", "c", true, false, NoArguments);
        Assert.Equal(["high", "mid", "low1", "low2", "none"], target.Bodies);
    }

    [Fact]
    public async Task Exclusive_queues_belong_to_their_connection_and_exclusive_consumers_lock_out_others()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        var owner = new object();
        var declared = await host.DeclareAsync("", durable: false, owner: owner);
        Assert.StartsWith("amq.gen-", declared.Queue.Name);
        var other = host.OpenSession(new object(), new RecordingTarget());
        Assert.Equal(MessagingError.ResourceLocked, Assert.Throws<MessagingException>(() =>
            other.Consume(declared.Queue.Name, "", false, false, NoArguments)).Error);
        await host.DeclareAsync("shared");
        var mine = host.OpenSession(owner, new RecordingTarget());
        mine.Consume("shared", "x", false, exclusive: true, NoArguments);
        Assert.Equal(MessagingError.AccessRefused, Assert.Throws<MessagingException>(() =>
            other.Consume("shared", "y", false, false, NoArguments)).Error);
        await host.ReleaseConnectionAsync(owner);
        Assert.False(host.TryGetQueue(declared.Queue.Name, out _));
    }

    [Fact]
    public async Task Deleting_a_queue_cancels_its_consumers_and_auto_delete_queues_go_with_their_last_consumer()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("doomed");
        await host.DeclareAsync("auto", durable: false, autoDelete: true);
        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        session.Consume("doomed", "c1", false, false, NoArguments);
        session.Consume("auto", "c2", false, false, NoArguments);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeleteQueueAsync("doomed", ifUnused: true, ifEmpty: false, null))).Error);
        await host.DeleteQueueAsync("doomed", false, false, null);
        Assert.Equal(["c1"], target.Cancelled);
        session.Cancel("c2");
        await WaitUntilAsync(() => !host.TryGetQueue("auto", out _), "the auto-delete queue is gone");
    }

    [Fact]
    public async Task Declare_reports_counts_checks_equivalence_and_passive_existence()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("q", arguments: Arguments(("x-message-ttl", 1000), ("x-queue-type", "classic")));
        host.PublishText("", "q", "m");
        var again = await host.DeclareAsync("q", arguments: Arguments(("x-message-ttl", 1000L), ("x-queue-type", "quorum")));
        Assert.Equal(1, again.MessageCount);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareAsync("q", arguments: Arguments(("x-message-ttl", 5))))).Error);
        Assert.Equal(MessagingError.NotFound, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareQueueAsync("none", true, false, false, false, NoArguments, null))).Error);
        Assert.Equal(MessagingError.AccessRefused, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareAsync("amq.q"))).Error);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareAsync("bad", arguments: Arguments(("x-max-length", "ten"))))).Error);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareAsync("bad", arguments: Arguments(("x-queue-type", "stream"))))).Error);
        Assert.Equal(1, host.PurgeQueue("q", null));
        Assert.Equal(0, await host.DeleteQueueAsync("q", false, ifEmpty: true, null));
    }

    [Fact]
    public async Task Direct_reply_queue_receives_replies_by_name_and_registration_precedes_the_first_delivery()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        var connection = new object();
        var reply = host.DeclareDirectReplyQueue(connection);
        Assert.StartsWith(VirtualHost.DirectReplyToPrefix, reply.Name);
        host.PublishText("", reply.Name, "early");
        var target = new RecordingTarget();
        var deliveriesAtRegistration = -1;
        host.OpenSession(connection, target).Consume(reply.Name, "", noAck: true, exclusive: false, NoArguments,
            _ => deliveriesAtRegistration = target.Deliveries.Count);
        Assert.Equal(0, deliveriesAtRegistration);
        Assert.Equal(["early"], target.Bodies);
        await host.ReleaseConnectionAsync(connection);
        Assert.False(host.TryGetQueue(reply.Name, out _));
    }

    [Fact]
    public async Task Persistent_publish_is_durable_when_its_task_completes()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("d");
        var result = host.PublishText("", "d", "m", persistent: true);
        await result.Durable.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PublishStatus.Routed, result.Status);
        Assert.False(result.Rejected);
        Assert.True(host.PublishText("", "d", "t", persistent: false).Durable.IsCompleted);
    }
}
