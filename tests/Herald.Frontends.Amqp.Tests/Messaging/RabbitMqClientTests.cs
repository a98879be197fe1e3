using System.Collections.Concurrent;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>RabbitMQ.Client (the official .NET client) against an in-process Herald: the channel-level methods.</summary>
public sealed class RabbitMqClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    private static CreateChannelOptions Confirms => new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    /// <summary>Collects deliveries of one consumer; acks them unless told otherwise.</summary>
    private sealed class Collector(IChannel channel, bool ack = true) : AsyncDefaultBasicConsumer(channel)
    {
        public ConcurrentQueue<BasicDeliverEventArgs> Received { get; } = new();

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange,
            string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        {
            Received.Enqueue(new BasicDeliverEventArgs(consumerTag, deliveryTag, redelivered, exchange, routingKey, properties, body.ToArray(), cancellationToken));
            if (ack)
            {
                await Channel.BasicAckAsync(deliveryTag, false, cancellationToken);
            }
        }

        protected override Task OnCancelAsync(string[] consumerTags, CancellationToken cancellationToken = default)
        {
            Cancelled.TrySetResult();
            return Task.CompletedTask;
        }

        public List<string> Bodies => Received.Select(r => Text(r.Body)).ToList();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Work_queue_shares_persistent_confirmed_messages_between_competing_consumers_with_prefetch()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var publisher = await connection.CreateChannelAsync(Confirms);
        var queue = MessagingNode.Unique("work");
        var declared = await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        Assert.Equal((queue, 0u, 0u), (declared.QueueName, declared.MessageCount, declared.ConsumerCount));
        await using var first = await connection.CreateChannelAsync();
        await using var second = await connection.CreateChannelAsync();
        await first.BasicQosAsync(0, 5, false);
        await second.BasicQosAsync(0, 5, false);
        var one = new Collector(first);
        var two = new Collector(second);
        await first.BasicConsumeAsync(queue, autoAck: false, one);
        await second.BasicConsumeAsync(queue, autoAck: false, two);
        for (var i = 0; i < 200; i++)
        {
            await publisher.BasicPublishAsync("", queue, true, new BasicProperties { Persistent = true }, Body($"job {i}"));
        }
        await WaitForAsync(() => one.Received.Count + two.Received.Count == 200, "all 200 jobs");
        Assert.True(one.Received.Count > 20 && two.Received.Count > 20, $"uneven: {one.Received.Count} / {two.Received.Count}");
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"job {i}").Order(), one.Bodies.Concat(two.Bodies).Order());
        Assert.Equal(0u, await publisher.MessageCountAsync(queue));
    }

    [Fact]
    public async Task Fanout_topic_and_headers_exchanges_route_as_RabbitMQ_does()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var fanout = MessagingNode.Unique("logs");
        await channel.ExchangeDeclareAsync(fanout, ExchangeType.Fanout);
        var a = (await channel.QueueDeclareAsync()).QueueName;
        var b = (await channel.QueueDeclareAsync()).QueueName;
        Assert.StartsWith("amq.gen-", a);
        await channel.QueueBindAsync(a, fanout, "");
        await channel.QueueBindAsync(b, fanout, "");
        await channel.BasicPublishAsync(fanout, "ignored", Body("broadcast"));

        var topic = MessagingNode.Unique("stocks");
        await channel.ExchangeDeclareAsync(topic, ExchangeType.Topic);
        var usd = (await channel.QueueDeclareAsync()).QueueName;
        await channel.QueueBindAsync(usd, topic, "*.usd.#");
        foreach (var key in new[] { "nyse.usd", "nyse.usd.tech.big", "lse.gbp", "usd" })
        {
            await channel.BasicPublishAsync(topic, key, Body(key));
        }

        var headers = MessagingNode.Unique("match");
        await channel.ExchangeDeclareAsync(headers, ExchangeType.Headers);
        var pdf = (await channel.QueueDeclareAsync()).QueueName;
        await channel.QueueBindAsync(pdf, headers, "", new Dictionary<string, object?> { ["x-match"] = "all", ["format"] = "pdf", ["size"] = 5 });
        await channel.BasicPublishAsync(headers, "", false, new BasicProperties { Headers = new Dictionary<string, object?> { ["format"] = "pdf", ["size"] = 5L } }, Body("match"));
        await channel.BasicPublishAsync(headers, "", false, new BasicProperties { Headers = new Dictionary<string, object?> { ["format"] = "pdf" } }, Body("partial"));

        async Task<List<string>> DrainAsync(string queue)
        {
            var bodies = new List<string>();
            await WaitForAsync(() => true, "");
            for (var attempt = 0; attempt < 50; attempt++)
            {
                while (await channel.BasicGetAsync(queue, autoAck: true) is { } got)
                {
                    bodies.Add(Text(got.Body));
                }
                if (bodies.Count > 0)
                {
                    break;
                }
                await Task.Delay(20);
            }
            return bodies;
        }
        Assert.Equal(["broadcast"], await DrainAsync(a));
        Assert.Equal(["broadcast"], await DrainAsync(b));
        Assert.Equal(["nyse.usd", "nyse.usd.tech.big"], await DrainAsync(usd));
        Assert.Equal(["match"], await DrainAsync(pdf));
    }

    [Fact]
    public async Task Rpc_over_direct_reply_to_gets_the_reply_with_its_correlation_id()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var server = await connection.CreateChannelAsync();
        await using var client = await connection.CreateChannelAsync();
        var rpc = MessagingNode.Unique("rpc");
        await server.QueueDeclareAsync(rpc, false, false, true);
        var serverConsumer = new AsyncEventingBasicConsumer(server);
        serverConsumer.ReceivedAsync += async (_, request) =>
        {
            var reply = new BasicProperties { CorrelationId = request.BasicProperties.CorrelationId };
            await server.BasicPublishAsync("", request.BasicProperties.ReplyTo!, false, reply, Body("re: " + Text(request.Body)));
            await server.BasicAckAsync(request.DeliveryTag, false);
        };
        await server.BasicConsumeAsync(rpc, false, serverConsumer);
        var replies = new Collector(client, ack: false);
        await client.BasicConsumeAsync("amq.rabbitmq.reply-to", autoAck: true, replies);
        await client.BasicPublishAsync("", rpc, false, new BasicProperties { ReplyTo = "amq.rabbitmq.reply-to", CorrelationId = "c-42" }, Body("ping"));
        await WaitForAsync(() => !replies.Received.IsEmpty, "the reply");
        var received = Assert.Single(replies.Received);
        Assert.Equal("re: ping", Text(received.Body));
        Assert.Equal("c-42", received.BasicProperties.CorrelationId);
    }

    [Fact]
    public async Task Dead_lettering_on_reject_expiry_max_length_and_delivery_limit_writes_x_death()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var dlx = MessagingNode.Unique("dlx");
        var dead = MessagingNode.Unique("dead");
        await channel.ExchangeDeclareAsync(dlx, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(dead, true, false, false);
        await channel.QueueBindAsync(dead, dlx, "");
        var source = MessagingNode.Unique("src");
        await channel.QueueDeclareAsync(source, true, false, false, new Dictionary<string, object?>
        {
            ["x-dead-letter-exchange"] = dlx,
            ["x-max-length"] = 3,
            ["x-delivery-limit"] = 1,
            ["x-message-ttl"] = 60_000,
        });

        // rejected
        await channel.BasicPublishAsync("", source, false, new BasicProperties { MessageId = "rejected" }, Body("r"));
        var got = (await channel.BasicGetAsync(source, false))!;
        await channel.BasicRejectAsync(got.DeliveryTag, requeue: false);
        // expired: a per-message expiration shorter than the queue's TTL
        await channel.BasicPublishAsync("", source, false, new BasicProperties { MessageId = "expired", Expiration = "50" }, Body("e"));
        await Task.Delay(300);
        Assert.Null(await channel.BasicGetAsync(source, true)); // expired on delivery at the latest
        // delivery_limit: returned twice with a limit of 1
        await channel.BasicPublishAsync("", source, false, new BasicProperties { MessageId = "poison" }, Body("p"));
        for (var i = 0; i < 2; i++)
        {
            var poison = (await channel.BasicGetAsync(source, false))!;
            await channel.BasicNackAsync(poison.DeliveryTag, false, requeue: true);
        }
        // maxlen: four into a queue of three drops the oldest
        for (var i = 0; i < 4; i++)
        {
            await channel.BasicPublishAsync("", source, false, new BasicProperties { MessageId = i == 0 ? "maxlen" : $"kept{i}" }, Body("m"));
        }

        var deaths = new Dictionary<string, IReadOnlyBasicProperties>();
        await WaitForAsync(() =>
        {
            while (channel.BasicGetAsync(dead, true).GetAwaiter().GetResult() is { } message)
            {
                deaths[message.BasicProperties.MessageId!] = message.BasicProperties;
            }
            return deaths.Count == 4;
        }, "four dead letters");
        foreach (var (id, reason) in new[] { ("rejected", "rejected"), ("expired", "expired"), ("poison", "delivery_limit"), ("maxlen", "maxlen") })
        {
            var headers = deaths[id].Headers!;
            var xDeath = (Dictionary<string, object?>)Assert.Single((List<object?>)headers["x-death"]!)!;
            Assert.Equal(reason, Encoding.UTF8.GetString((byte[])xDeath["reason"]!));
            Assert.Equal(source, Encoding.UTF8.GetString((byte[])xDeath["queue"]!));
            Assert.Equal(1L, xDeath["count"]);
            Assert.Equal([source], ((List<object?>)xDeath["routing-keys"]!).Select(k => Encoding.UTF8.GetString((byte[])k!)));
            Assert.Equal(reason, Encoding.UTF8.GetString((byte[])headers["x-first-death-reason"]!));
        }
        Assert.Null(deaths["expired"].Expiration);
        Assert.Equal(3u, await channel.MessageCountAsync(source));
    }

    [Fact]
    public async Task Priority_queue_and_queue_ttl_behave_as_declared()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = MessagingNode.Unique("prio");
        await channel.QueueDeclareAsync(queue, true, false, false, new Dictionary<string, object?> { ["x-max-priority"] = (byte)10 });
        foreach (var priority in new byte[] { 1, 9, 5, 0, 9 })
        {
            await channel.BasicPublishAsync("", queue, false, new BasicProperties { Priority = priority }, Body($"p{priority}"));
        }
        var order = new List<string>();
        while (await channel.BasicGetAsync(queue, true) is { } got)
        {
            order.Add(Text(got.Body));
        }
        Assert.Equal(["p9", "p9", "p5", "p1", "p0"], order);

        var ttl = MessagingNode.Unique("ttl");
        await channel.QueueDeclareAsync(ttl, false, false, false, new Dictionary<string, object?> { ["x-message-ttl"] = 100 });
        await channel.BasicPublishAsync("", ttl, Body("short-lived"));
        Assert.Equal(1u, await channel.MessageCountAsync(ttl));
        await WaitForAsync(() => channel.MessageCountAsync(ttl).GetAwaiter().GetResult() == 0, "the message to expire");
    }

    [Fact]
    public async Task Mandatory_unroutable_messages_come_back_with_312_no_route_before_their_confirm()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(Confirms);
        var returned = new TaskCompletionSource<BasicReturnEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.BasicReturnAsync += (_, args) =>
        {
            returned.TrySetResult(args);
            return Task.CompletedTask;
        };
        try
        {
            await channel.BasicPublishAsync("amq.direct", "nobody", true, new BasicProperties { MessageId = "lost" }, Body("x"));
        }
        catch (PublishException)
        {
            // RabbitMQ.Client 7 with confirm tracking reports a returned mandatory message this way.
        }
        var args = await returned.Task.WaitAsync(Timeout);
        Assert.Equal((312, "NO_ROUTE", "amq.direct", "nobody", "lost"), (args.ReplyCode, args.ReplyText, args.Exchange, args.RoutingKey, args.BasicProperties.MessageId));
    }

    [Fact]
    public async Task Channel_errors_carry_RabbitMQ_reply_codes()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();

        async Task<ushort> CodeOfAsync(Func<IChannel, Task> action)
        {
            await using var channel = await connection.CreateChannelAsync();
            // Any OperationInterruptedException: when the server's channel.close arrives before the client's next call
            // (basic.ack has no reply, so the client does not wait for one), the client throws its subclass
            // AlreadyClosedException, with the same reason.
            var error = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() => action(channel));
            return error.ShutdownReason!.ReplyCode;
        }
        var queue = MessagingNode.Unique("q");
        await using (var setup = await connection.CreateChannelAsync())
        {
            await setup.QueueDeclareAsync(queue, true, false, false);
        }
        Assert.Equal(404, await CodeOfAsync(c => c.QueueDeclarePassiveAsync(MessagingNode.Unique("missing"))));
        Assert.Equal(404, await CodeOfAsync(c => c.QueueBindAsync(queue, MessagingNode.Unique("nox"), "")));
        Assert.Equal(406, await CodeOfAsync(c => c.QueueDeclareAsync(queue, false, false, false)));
        Assert.Equal(403, await CodeOfAsync(c => c.ExchangeDeclareAsync("amq.custom", ExchangeType.Direct)));
        Assert.Equal(406, await CodeOfAsync(c => c.BasicAckAsync(99, false).AsTask().ContinueWith(_ => c.QueueDeclarePassiveAsync(queue)).Unwrap()));

        await using var other = await MessagingNode.Connect(node.Port);
        await using var owner = await other.CreateChannelAsync();
        var exclusive = (await owner.QueueDeclareAsync("", false, true, true)).QueueName;
        Assert.Equal(405, await CodeOfAsync(c => c.QueueDeclarePassiveAsync(exclusive)));
    }

    [Fact]
    public async Task Unacked_messages_return_redelivered_when_the_channel_closes_and_deleting_a_queue_cancels_consumers()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        var queue = MessagingNode.Unique("redeliver");
        await using (var first = await connection.CreateChannelAsync())
        {
            await first.QueueDeclareAsync(queue, true, false, false);
            await first.BasicPublishAsync("", queue, Body("a"));
            await first.BasicPublishAsync("", queue, Body("b"));
            var got = await first.BasicGetAsync(queue, false);
            Assert.False(got!.Redelivered);
            await first.CloseAsync();
        }
        await using var second = await connection.CreateChannelAsync();
        var consumer = new Collector(second, ack: false);
        await second.BasicConsumeAsync(queue, false, consumer);
        await WaitForAsync(() => consumer.Received.Count == 2, "both messages");
        Assert.Equal(["a", "b"], consumer.Bodies);
        Assert.Equal([true, false], consumer.Received.Select(r => r.Redelivered));

        await using var admin = await connection.CreateChannelAsync();
        await admin.QueueDeleteAsync(queue);
        await consumer.Cancelled.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Transactions_publish_and_ack_only_on_commit()
    {
        await using var node = await MessagingNode.StartAsync();
        await using var connection = await node.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = MessagingNode.Unique("tx");
        await channel.QueueDeclareAsync(queue, true, false, false);
        await channel.TxSelectAsync();
        await channel.BasicPublishAsync("", queue, Body("rolled back"));
        await channel.TxRollbackAsync();
        await channel.BasicPublishAsync("", queue, Body("committed"));
        Assert.Equal(0u, await channel.MessageCountAsync(queue));
        await channel.TxCommitAsync();
        Assert.Equal(1u, await channel.MessageCountAsync(queue));
    }

    [Fact]
    public async Task Durable_exchanges_queues_bindings_and_persistent_messages_survive_a_restart()
    {
        await using var node = await MessagingNode.StartAsync();
        var exchange = MessagingNode.Unique("dx");
        var queue = MessagingNode.Unique("dq");
        var transient = MessagingNode.Unique("tq");
        await using (var connection = await node.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync(Confirms))
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);
            await channel.QueueDeclareAsync(queue, true, false, false);
            await channel.QueueDeclareAsync(transient, false, false, false);
            await channel.QueueBindAsync(queue, exchange, "orders.#");
            for (var i = 0; i < 10; i++)
            {
                await channel.BasicPublishAsync(exchange, "orders.new", false, new BasicProperties { Persistent = i % 2 == 0 }, Body($"o{i}"));
            }
            var acked = await channel.BasicGetAsync(queue, false);
            await channel.BasicAckAsync(acked!.DeliveryTag, false);
        }
        await node.RestartAsync();
        await using var after = await node.ConnectAsync();
        await using var check = await after.CreateChannelAsync();
        await check.ExchangeDeclarePassiveAsync(exchange);
        Assert.Equal(4u, (await check.QueueDeclarePassiveAsync(queue)).MessageCount); // o2 o4 o6 o8: persistent and not acked
        await check.BasicPublishAsync(exchange, "orders.again", Body("routed"));
        await WaitForAsync(() => check.MessageCountAsync(queue).GetAwaiter().GetResult() == 5, "the binding to route after the restart");
        var error = await Assert.ThrowsAsync<OperationInterruptedException>(() => check.QueueDeclarePassiveAsync(transient));
        Assert.Equal(404, error.ShutdownReason!.ReplyCode);
    }
}
