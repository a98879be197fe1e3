using System.Collections.Concurrent;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>RabbitMQ.Client against Herald: the queue and exchange features beyond the basic flows.</summary>
public sealed class RabbitMqClientFeatureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private sealed class Recorder(IChannel channel) : AsyncDefaultBasicConsumer(channel)
    {
        public ConcurrentQueue<(string Tag, ulong DeliveryTag, bool Redelivered, string Body)> Received { get; } = new();

        public override Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange,
            string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        {
            Received.Enqueue((consumerTag, deliveryTag, redelivered, Text(body)));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Confirms_nack_what_a_full_reject_publish_queue_refuses()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var queue = MessagingNode.Unique("full");
        await channel.QueueDeclareAsync(queue, true, false, false,
            new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        await channel.BasicPublishAsync("", queue, true, new BasicProperties { Persistent = true }, Body("fits"));
        await Assert.ThrowsAsync<PublishException>(async () =>
            await channel.BasicPublishAsync("", queue, true, new BasicProperties { Persistent = true }, Body("refused")));
        Assert.Equal(1u, await channel.MessageCountAsync(queue));
    }

    /// <summary>
    /// Publishes written back to back (no wait for confirms) reach the broker in one read and are stored as one batch;
    /// each is still judged on its own: exactly the ones past x-max-length are nacked, in tag order.
    /// </summary>
    [Fact]
    public async Task A_pipelined_burst_into_a_reject_publish_queue_nacks_exactly_the_overflow()
    {
        const int maxLength = 10;
        const int burst = 60;
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        var (channel, confirms) = await ConfirmRecorder.OpenAsync(connection);
        await using var _ = channel;
        var queue = MessagingNode.Unique("burst-full");
        await channel.QueueDeclareAsync(queue, true, false, false,
            new Dictionary<string, object?> { ["x-max-length"] = maxLength, ["x-overflow"] = "reject-publish" });
        for (var i = 0; i < burst; i++)
        {
            await channel.BasicPublishAsync("", queue, false, new BasicProperties { Persistent = true }, Body($"m{i}"));
        }
        await confirms.WaitForAsync(burst, Timeout);
        Assert.Empty(confirms.Problems);
        for (ulong tag = 1; tag <= burst; tag++)
        {
            Assert.True(confirms.Outcomes[tag] == tag <= maxLength, $"tag {tag}: {(confirms.Outcomes[tag] ? "ack" : "nack")}");
        }
        Assert.Equal((uint)maxLength, await channel.MessageCountAsync(queue));
        for (var i = 0; i < maxLength; i++)
        {
            var got = await channel.BasicGetAsync(queue, autoAck: true);
            Assert.Equal($"m{i}", Text(got!.Body));
        }
    }

    /// <summary>A pipelined burst through a fanout exchange: both queues get every message in order, each confirmed once.</summary>
    [Fact]
    public async Task A_pipelined_burst_fanned_out_to_two_queues_is_stored_in_both_in_order()
    {
        const int burst = 500;
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        var (channel, confirms) = await ConfirmRecorder.OpenAsync(connection);
        await using var _ = channel;
        var exchange = MessagingNode.Unique("fan");
        var first = MessagingNode.Unique("fan-a");
        var second = MessagingNode.Unique("fan-b");
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        foreach (var queue in new[] { first, second })
        {
            await channel.QueueDeclareAsync(queue, true, false, false);
            await channel.QueueBindAsync(queue, exchange, "");
        }
        for (var i = 0; i < burst; i++)
        {
            // Every fifth one transient: it shares the batch but not the wait for fsync.
            await channel.BasicPublishAsync(exchange, "", false, new BasicProperties { Persistent = i % 5 != 0 }, Body($"m{i}"));
        }
        await confirms.WaitForAsync(burst, Timeout);
        Assert.Empty(confirms.Problems);
        Assert.All(confirms.Outcomes.Values, Assert.True);
        foreach (var queue in new[] { first, second })
        {
            Assert.Equal((uint)burst, await channel.MessageCountAsync(queue));
            for (var i = 0; i < burst; i++)
            {
                var got = await channel.BasicGetAsync(queue, autoAck: true);
                Assert.Equal($"m{i}", Text(got!.Body));
            }
        }
    }

    /// <summary>A mandatory publish that no queue takes, in the middle of a burst, comes back before its own confirm.</summary>
    [Fact]
    public async Task A_burst_with_an_unroutable_mandatory_publish_returns_it_and_confirms_everything_in_order()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        var (channel, confirms) = await ConfirmRecorder.OpenAsync(connection);
        await using var _ = channel;
        var queue = MessagingNode.Unique("burst");
        await channel.QueueDeclareAsync(queue, true, false, false);
        var returned = new ConcurrentQueue<(string Body, int Confirmed)>();
        channel.BasicReturnAsync += (_, e) =>
        {
            returned.Enqueue((Text(e.Body), confirms.Outcomes.Count));
            return Task.CompletedTask;
        };
        for (var i = 0; i < 20; i++)
        {
            var routingKey = i == 10 ? MessagingNode.Unique("nowhere") : queue;
            await channel.BasicPublishAsync("", routingKey, true, new BasicProperties { Persistent = true }, Body($"m{i}"));
        }
        await confirms.WaitForAsync(20, Timeout);
        Assert.Empty(confirms.Problems);
        Assert.All(confirms.Outcomes.Values, Assert.True);
        var (body, confirmedBefore) = Assert.Single(returned);
        Assert.Equal("m10", body);
        Assert.True(confirmedBefore <= 10, $"the return came after {confirmedBefore} confirms");
        Assert.Equal(19u, await channel.MessageCountAsync(queue));
    }

    [Fact]
    public async Task Alternate_exchange_and_exchange_to_exchange_bindings_route_through()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var alternate = MessagingNode.Unique("ae");
        var main = MessagingNode.Unique("main");
        var downstream = MessagingNode.Unique("down");
        await channel.ExchangeDeclareAsync(alternate, ExchangeType.Fanout);
        await channel.ExchangeDeclareAsync(main, ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = alternate });
        await channel.ExchangeDeclareAsync(downstream, ExchangeType.Topic);
        await channel.ExchangeBindAsync(downstream, main, "orders");
        var unrouted = (await channel.QueueDeclareAsync()).QueueName;
        var orders = (await channel.QueueDeclareAsync()).QueueName;
        await channel.QueueBindAsync(unrouted, alternate, "");
        await channel.QueueBindAsync(orders, downstream, "#");
        await channel.BasicPublishAsync(main, "orders", Body("order"));
        await channel.BasicPublishAsync(main, "other", Body("stray"));
        await WaitForAsync(async () => await channel.MessageCountAsync(orders) == 1 && await channel.MessageCountAsync(unrouted) == 1, "routing");
        Assert.Equal("order", Text((await channel.BasicGetAsync(orders, true))!.Body));
        Assert.Equal("stray", Text((await channel.BasicGetAsync(unrouted, true))!.Body));

        var inner = MessagingNode.Unique("inner");
        await channel.ExchangeDeclareAsync(inner, ExchangeType.Fanout, durable: false, autoDelete: false,
            arguments: null, passive: false, noWait: false);
        await channel.ExchangeDeleteAsync(inner);
        await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.ExchangeDeclarePassiveAsync(inner));
    }

    [Fact]
    public async Task Single_active_consumer_and_consumer_priorities_choose_who_gets_messages()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var sac = MessagingNode.Unique("sac");
        await channel.QueueDeclareAsync(sac, true, false, false, new Dictionary<string, object?> { ["x-single-active-consumer"] = true });
        var first = new Recorder(channel);
        var second = new Recorder(channel);
        var firstTag = await channel.BasicConsumeAsync(sac, true, first);
        await channel.BasicConsumeAsync(sac, true, second);
        await channel.BasicPublishAsync("", sac, Body("1"));
        await WaitForAsync(() => Task.FromResult(first.Received.Count == 1), "the active consumer");
        await channel.BasicCancelAsync(firstTag);
        await channel.BasicPublishAsync("", sac, Body("2"));
        await WaitForAsync(() => Task.FromResult(second.Received.Count == 1), "the next consumer to take over");
        Assert.Single(first.Received);

        await using var prioritized = await connection.CreateChannelAsync();
        await prioritized.BasicQosAsync(0, 1, false);
        var queue = MessagingNode.Unique("prio-consumers");
        await prioritized.QueueDeclareAsync(queue, false, false, true);
        var low = new Recorder(prioritized);
        var high = new Recorder(prioritized);
        await prioritized.BasicConsumeAsync(queue, false, "low", false, false, null, low);
        await prioritized.BasicConsumeAsync(queue, false, "high", false, false, new Dictionary<string, object?> { ["x-priority"] = 5 }, high);
        await prioritized.BasicPublishAsync("", queue, Body("a"));
        await prioritized.BasicPublishAsync("", queue, Body("b"));
        await WaitForAsync(() => Task.FromResult(low.Received.Count + high.Received.Count == 2), "both deliveries");
        Assert.Equal("a", Assert.Single(high.Received).Body); // high had credit for one; the second went to low
    }

    [Fact]
    public async Task Nack_with_requeue_redelivers_and_exclusive_consumers_lock_out_others()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = MessagingNode.Unique("recover");
        await channel.QueueDeclareAsync(queue, true, false, false);
        await channel.BasicPublishAsync("", queue, Body("again"));
        var consumer = new Recorder(channel);
        await channel.BasicConsumeAsync(queue, false, "only", false, exclusive: true, null, consumer);
        await WaitForAsync(() => Task.FromResult(consumer.Received.Count == 1), "the first delivery");
        await using (var other = await connection.CreateChannelAsync())
        {
            var error = await Assert.ThrowsAsync<OperationInterruptedException>(() => other.BasicConsumeAsync(queue, false, new Recorder(other)));
            Assert.Equal(403, error.ShutdownReason!.ReplyCode);
        }
        await channel.BasicNackAsync(consumer.Received.First().DeliveryTag, false, requeue: true);
        await WaitForAsync(() => Task.FromResult(consumer.Received.Count == 2), "the redelivery");
        var redelivery = consumer.Received.Last();
        Assert.True(redelivery.Redelivered);
        await channel.BasicAckAsync(redelivery.DeliveryTag, false);
    }

    [Fact]
    public async Task Unused_queue_expires_and_auto_delete_queue_goes_with_its_last_consumer()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var expiring = MessagingNode.Unique("expires");
        await channel.QueueDeclareAsync(expiring, false, false, false, new Dictionary<string, object?> { ["x-expires"] = 200 });
        var auto = MessagingNode.Unique("auto");
        await channel.QueueDeclareAsync(auto, false, false, autoDelete: true);
        var tag = await channel.BasicConsumeAsync(auto, true, new Recorder(channel));
        await channel.BasicCancelAsync(tag);
        await Task.Delay(600);
        foreach (var gone in new[] { expiring, auto })
        {
            await using var probe = await connection.CreateChannelAsync();
            var error = await Assert.ThrowsAsync<OperationInterruptedException>(() => probe.QueueDeclarePassiveAsync(gone));
            Assert.Equal(404, error.ShutdownReason!.ReplyCode);
        }
    }

    [Fact]
    public async Task Publishing_to_a_missing_exchange_closes_the_channel_with_404()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var publisher = await connection.CreateChannelAsync();
        // Any OperationInterruptedException: the channel.close may arrive before the next call, which then throws the
        // subclass AlreadyClosedException with the same reason.
        var error = await Assert.ThrowsAnyAsync<OperationInterruptedException>(async () =>
        {
            await publisher.BasicPublishAsync(MessagingNode.Unique("missing"), "", Body("x"));
            await publisher.QueueDeclareAsync();
        });
        Assert.Equal(404, error.ShutdownReason!.ReplyCode);
        await using var still = await connection.CreateChannelAsync();
        Assert.StartsWith("amq.gen-", (await still.QueueDeclareAsync()).QueueName); // the connection lives on
    }
}
