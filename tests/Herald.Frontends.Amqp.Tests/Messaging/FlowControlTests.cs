using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Herald.Broker.Resources;
using Herald.Protocols.Amqp;
using Herald.TestKit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;
using BasicProperties = RabbitMQ.Client.BasicProperties;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// Flow control with real clients: memory and disk alarms block publishing connections (connection.blocked and
/// unblocked with RabbitMQ.Client and amqplib) while consumers carry on, and a consumer that stops reading does not
/// make the broker buffer its deliveries without bound. Alarms are raised and cleared by changing the limits of the
/// running node, as <c>rabbitmqctl set_vm_memory_high_watermark</c> and <c>set_disk_free_limit</c> do.
/// </summary>
public sealed class FlowControlTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    private static CreateChannelOptions Confirms => new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AlarmsAsync(MessagingNode node)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{node.Instance.HttpPort}/health/alarms"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    [Fact]
    public async Task Memory_alarm_blocks_publishers_until_it_clears_while_consumers_keep_receiving()
    {
        await using var node = await MessagingNode.StartAsync();
        var queue = MessagingNode.Unique("flow");

        await using var publisherConnection = await node.ConnectAsync();
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        publisherConnection.ConnectionBlockedAsync += (_, e) =>
        {
            blocked.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };
        publisherConnection.ConnectionUnblockedAsync += (_, _) =>
        {
            unblocked.TrySetResult();
            return Task.CompletedTask;
        };
        await using var publisher = await publisherConnection.CreateChannelAsync(Confirms);
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        for (var i = 0; i < 10; i++)
        {
            await publisher.BasicPublishAsync("", queue, true, new BasicProperties { Persistent = true }, Body($"before {i}"));
        }

        // A connection that only consumes: never blocked, never notified.
        await using var consumerConnection = await node.ConnectAsync();
        var consumerNotified = false;
        consumerConnection.ConnectionBlockedAsync += (_, _) =>
        {
            consumerNotified = true;
            return Task.CompletedTask;
        };

        var usage = node.Instance.Resources.SetMemoryHighWatermark(MemoryHighWatermark.Absolute(1));
        Assert.Equal(ResourceAlarm.Memory, usage.Alarms);
        Assert.Equal("low on memory", await blocked.Task.WaitAsync(Timeout));
        var (status, body) = await AlarmsAsync(node);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failed", body.GetProperty("status").GetString());
        Assert.Equal(["memory"], body.GetProperty("alarms").EnumerateArray().Select(a => a.GetString()));

        // The publish is not read, so it is neither stored nor confirmed while the alarm lasts.
        var during = publisher.BasicPublishAsync("", queue, true, new BasicProperties { Persistent = true }, Body("during")).AsTask();
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(during.IsCompleted, "a publish was confirmed during a memory alarm");

        var received = new ConcurrentQueue<string>();
        await using var consumer = await consumerConnection.CreateChannelAsync();
        var deliveries = new AsyncEventingBasicConsumer(consumer);
        deliveries.ReceivedAsync += async (_, e) =>
        {
            received.Enqueue(Encoding.UTF8.GetString(e.Body.Span));
            await consumer.BasicAckAsync(e.DeliveryTag, false);
        };
        await consumer.BasicConsumeAsync(queue, autoAck: false, deliveries);
        await WaitForAsync(() => received.Count == 10, "the ten messages queued before the alarm");
        var declared = await consumer.QueueDeclarePassiveAsync(queue);
        Assert.Equal(0u, declared.MessageCount);
        Assert.False(during.IsCompleted);

        node.Instance.Resources.SetMemoryHighWatermark(MemoryHighWatermark.Default);
        await unblocked.Task.WaitAsync(Timeout);
        await during.WaitAsync(Timeout);
        await WaitForAsync(() => received.Count == 11, "the message published during the alarm");
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"before {i}"), "during"], received.Order());
        Assert.False(consumerNotified);
        (status, body) = await AlarmsAsync(node);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("alarms").GetArrayLength());
        Assert.True(body.GetProperty("memoryUsedBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task A_connection_that_publishes_for_the_first_time_during_an_alarm_is_blocked_then()
    {
        await using var node = await MessagingNode.StartAsync();
        var queue = MessagingNode.Unique("late");
        await using var connection = await node.ConnectAsync();
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionBlockedAsync += (_, e) =>
        {
            blocked.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };
        await using var channel = await connection.CreateChannelAsync(Confirms);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);

        node.Instance.Resources.SetDiskFreeLimit(long.MaxValue);
        // Not a publisher yet: declarations go on, and nothing is said.
        await channel.QueueDeclarePassiveAsync(queue);
        Assert.False(blocked.Task.IsCompleted);

        var publish = channel.BasicPublishAsync("", queue, Body("first")).AsTask();
        Assert.Equal("low on disk", await blocked.Task.WaitAsync(Timeout));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(publish.IsCompleted);

        node.Instance.Resources.SetDiskFreeLimit(0);
        await publish.WaitAsync(Timeout);
        Assert.Equal(1u, (await channel.QueueDeclarePassiveAsync(queue)).MessageCount);
    }

    [Fact]
    public async Task Amqplib_hears_blocked_and_unblocked_and_its_publish_is_confirmed_after_the_disk_alarm_clears()
    {
        // The disk alarm is in effect from the start: no filesystem has this much free space.
        await using var node = await MessagingNode.StartAsync(o => o.DiskFreeLimitBytes = long.MaxValue);
        var nodeDirectory = Path.Combine(ScriptClients.ClientsDirectory, "node");
        Assert.True(Directory.Exists(Path.Combine(nodeDirectory, "node_modules", "amqplib")),
            $"amqplib is missing: run 'npm ci' in {nodeDirectory} (./run-tests does)");
        using var script = ProcessRunner.Start("node",
            [Path.Combine(nodeDirectory, "messaging_scenarios.cjs"), node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "blocked",
                Guid.NewGuid().ToString("N")[..8]],
            nodeDirectory);
        var blockedLine = await script.WaitForLineAsync(line => line.Contains("\"blocked\"", StringComparison.Ordinal), Timeout);
        Assert.Equal("low on disk", JsonDocument.Parse(blockedLine).RootElement.GetProperty("reason").GetString());
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(script.StandardOutputLines, line => line.Contains("confirmed", StringComparison.Ordinal));

        node.Instance.Resources.SetDiskFreeLimit(50_000_000);
        var exitCode = await script.WaitForExitAsync(Timeout);
        Assert.True(exitCode == 0, string.Join('\n', script.StandardErrorLines.TakeLast(20)));
        var result = JsonDocument.Parse(script.StandardOutputLines[^1]).RootElement;
        Assert.Equal(["blocked", "unblocked", "confirmed"], result.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("during the alarm", result.GetProperty("body").GetString());
    }

    [Fact]
    public async Task A_no_ack_consumer_that_stops_reading_leaves_messages_in_the_queue_and_gets_them_all_when_it_reads_again()
    {
        const int Messages = 20_000;
        const int BodyBytes = 4096;
        await using var node = await MessagingNode.StartAsync();
        var queue = MessagingNode.Unique("slow");
        await using var connection = await node.ConnectAsync();
        await using var publisher = await connection.CreateChannelAsync();
        await publisher.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);

        // A raw client with a small fixed receive buffer consumes with no-ack and no prefetch, then reads nothing.
        await using var slow = await RawAmqpClient.OpenAsync(node.Port, receiveBufferBytes: 64 * 1024);
        await slow.OpenChannelAsync(1);
        await slow.SendMethodAsync(1, new BasicConsume { Queue = queue, ConsumerTag = "slow", NoAck = true });
        await slow.ExpectMethodAsync<BasicConsumeOk>(1);

        var body = new byte[BodyBytes];
        for (var i = 0; i < Messages; i++)
        {
            body[0] = (byte)i;
            await publisher.BasicPublishAsync("", queue, body);
        }
        // A synchronous method on the same channel: every publish before it has been routed.
        await publisher.QueueDeclarePassiveAsync(queue);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var ready = (await publisher.QueueDeclarePassiveAsync(queue)).MessageCount;
        var handedOut = Messages - (long)ready;
        output.WriteLine($"{handedOut} of {Messages} deliveries of {BodyBytes} bytes left the queue while the consumer read nothing");
        // What left the queue sits in the kernel's socket buffers (the server's send buffer grows to 4 MiB) and the
        // connection's bounded output; without the pause all 80 MB would have been handed to the connection.
        Assert.True(handedOut < 4_000, $"{handedOut} of {Messages} deliveries left the queue for a client that reads nothing");

        var delivered = 0;
        while (delivered < Messages)
        {
            var frame = await slow.ReadFrameAsync(Timeout) ?? throw new Xunit.Sdk.XunitException("the server closed the socket");
            if (frame.Type == AmqpConstants.FrameMethod)
            {
                var reader = new AmqpReader(frame.Payload);
                if (reader.ReadShort() == BasicDeliver.ProtocolClassId && reader.ReadShort() == BasicDeliver.ProtocolMethodId)
                {
                    delivered++;
                }
            }
        }
        Assert.Equal(0u, (await publisher.QueueDeclarePassiveAsync(queue)).MessageCount);
    }
}
