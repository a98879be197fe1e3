using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Herald.Frontends.Amqp.Channels;
using Herald.Protocols.Amqp;
using BasicProperties = RabbitMQ.Client.BasicProperties;
using QueueDeclareOk = Herald.Protocols.Amqp.QueueDeclareOk;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// The per-channel seam with a real client: a test <see cref="AmqpChannelMethods"/> that answers queue.declare and
/// basic.consume and delivers every published message straight back to the consumer. RabbitMQ.Client publishes with
/// every kind of property and a body larger than frame-max, and must get both back unchanged; a soft channel
/// exception closes only the channel; closing the channel reaches <see cref="AmqpChannelMethods.ClosedAsync"/>.
/// </summary>
public sealed class SeamTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _events = new();
    private AmqpTestListener? _listener;

    private int Port => _listener!.Port;

    public Task InitializeAsync()
    {
        _listener = new AmqpTestListener(new AmqpFrontendOptions(), channel => new EchoChannelMethods(channel, _events));
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _listener!.DisposeAsync().AsTask();

    [Fact]
    public async Task Published_content_reaches_the_handler_and_a_delivery_reaches_the_consumer_unchanged()
    {
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = Port, AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = await channel.QueueDeclareAsync("echo");
        Assert.Equal("echo", queue.QueueName);

        var delivered = new TaskCompletionSource<BasicDeliverEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The client reuses the body's buffer after the handler returns: copy what the assertions need.
            delivered.TrySetResult(new BasicDeliverEventArgs(delivery.ConsumerTag, delivery.DeliveryTag, delivery.Redelivered,
                delivery.Exchange, delivery.RoutingKey, delivery.BasicProperties, delivery.Body.ToArray()));
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync("echo", autoAck: false, consumer);

        var body = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var properties = new BasicProperties
        {
            ContentType = "application/octet-stream",
            CorrelationId = "corr-1",
            ReplyTo = "amq.rabbitmq.reply-to",
            DeliveryMode = DeliveryModes.Persistent,
            Priority = 3,
            Expiration = "60000",
            MessageId = "m-1",
            Timestamp = new RabbitMQ.Client.AmqpTimestamp(1_700_000_000),
            Type = "t",
            AppId = "seam-test",
            Headers = new Dictionary<string, object?>
            {
                ["int"] = 42,
                ["long"] = 1L << 40,
                ["text"] = Encoding.UTF8.GetBytes("héllo"),
                ["bool"] = true,
                ["double"] = 2.5,
                ["nested"] = new Dictionary<string, object?> { ["a"] = 1 },
                ["list"] = new List<object?> { 1, Encoding.UTF8.GetBytes("x") },
            },
        };
        await channel.BasicPublishAsync("", "echo", mandatory: false, properties, body);

        var delivery = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(tag, delivery.ConsumerTag);
        Assert.Equal(1UL, delivery.DeliveryTag);
        Assert.Equal("echo", delivery.RoutingKey);
        Assert.Equal(body, delivery.Body.ToArray());
        var received = delivery.BasicProperties;
        Assert.Equal("application/octet-stream", received.ContentType);
        Assert.Equal("corr-1", received.CorrelationId);
        Assert.Equal("amq.rabbitmq.reply-to", received.ReplyTo);
        Assert.Equal(DeliveryModes.Persistent, received.DeliveryMode);
        Assert.Equal(3, received.Priority);
        Assert.Equal("60000", received.Expiration);
        Assert.Equal("m-1", received.MessageId);
        Assert.Equal(1_700_000_000, received.Timestamp.UnixTime);
        Assert.Equal("t", received.Type);
        Assert.Equal("seam-test", received.AppId);
        Assert.Equal(42, received.Headers!["int"]);
        Assert.Equal(1L << 40, received.Headers["long"]);
        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), received.Headers["text"]);
        Assert.Equal(true, received.Headers["bool"]);
        Assert.Equal(2.5, received.Headers["double"]);
        Assert.Equal(1, Assert.IsType<Dictionary<string, object?>>(received.Headers["nested"])["a"]);
        Assert.Equal(2, Assert.IsType<List<object?>>(received.Headers["list"]).Count);

        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        await channel.CloseAsync();
        await connection.CloseAsync();

        Assert.Contains("ack 1", _events);
        Assert.Contains("closed", _events);
    }

    [Fact]
    public async Task A_soft_channel_exception_closes_only_its_channel()
    {
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = Port, AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        var error = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync("missing"));

        Assert.Equal(404, error.ShutdownReason!.ReplyCode);
        Assert.Equal("NOT_FOUND - no queue 'missing' in vhost '/'", error.ShutdownReason.ReplyText);
        Assert.True(connection.IsOpen);
        Assert.Contains("closed", _events);
        await using var another = await connection.CreateChannelAsync();
        Assert.Equal("fresh", (await another.QueueDeclareAsync("fresh")).QueueName);
    }

    /// <summary>Answers queue.declare and basic.consume, and delivers each publish back to the channel's consumer.</summary>
    private sealed class EchoChannelMethods(AmqpChannel channel, ConcurrentQueue<string> events) : AmqpChannelMethods(channel)
    {
        private string? _consumerTag;
        private ulong _deliveryTag;

        public override ValueTask QueueDeclareAsync(QueueDeclare method)
        {
            if (method.Passive)
            {
                throw new AmqpChannelException(AmqpReplyCode.NotFound, $"no queue '{method.Queue}' in vhost '{Channel.VirtualHost}'",
                    QueueDeclare.ProtocolClassId, QueueDeclare.ProtocolMethodId);
            }
            return Channel.SendMethodAsync(new QueueDeclareOk { Queue = method.Queue });
        }

        public override ValueTask BasicConsumeAsync(BasicConsume method)
        {
            _consumerTag = method.ConsumerTag.Length > 0 ? method.ConsumerTag : "amq.ctag-echo";
            return Channel.SendMethodAsync(new BasicConsumeOk { ConsumerTag = _consumerTag });
        }

        public override ValueTask BasicPublishAsync(BasicPublish method, AmqpContent content) =>
            Channel.SendContentAsync(
                new BasicDeliver { ConsumerTag = _consumerTag!, DeliveryTag = ++_deliveryTag, Exchange = method.Exchange, RoutingKey = method.RoutingKey },
                content.PropertyBytes, new ReadOnlySequence<byte>(content.Body));

        public override ValueTask BasicAckAsync(BasicAck method)
        {
            events.Enqueue($"ack {method.DeliveryTag}");
            return ValueTask.CompletedTask;
        }

        public override ValueTask ClosedAsync()
        {
            events.Enqueue("closed");
            return ValueTask.CompletedTask;
        }
    }
}
