using System.Buffers.Binary;
using RabbitMQ.Client;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// RabbitMQ.Client against a queue holding more than the node's ready-memory budget (16 MiB by default): the excess
/// is paged out to the queue's log and read back, and nothing of order, priority or content may change, before or
/// after a restart.
/// </summary>
public sealed class PagingTests
{
    private const int BodyBytes = 64 * 1024;
    private const int Count = 400; // 25 MiB of bodies: well past the default budget

    private static byte[] Body(int index)
    {
        var body = new byte[BodyBytes];
        for (var j = 4; j < body.Length; j++)
        {
            body[j] = (byte)((index + j) % 251);
        }
        BinaryPrimitives.WriteInt32BigEndian(body, index);
        return body;
    }

    private static byte Priority(int index) => (byte)(index % 4 == 0 ? 2 : 0);

    private static async Task<List<int>> GetAllAsync(IChannel channel, string queue)
    {
        var indexes = new List<int>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } got)
        {
            var index = BinaryPrimitives.ReadInt32BigEndian(got.Body.Span);
            Assert.True(got.Body.Span.SequenceEqual(Body(index)), $"message {index} came back changed");
            Assert.Equal(Priority(index), got.BasicProperties.Priority);
            indexes.Add(index);
            await channel.BasicAckAsync(got.DeliveryTag, multiple: false);
        }
        return indexes;
    }

    [Fact]
    public async Task A_queue_larger_than_the_memory_budget_delivers_every_message_in_priority_order_before_and_after_a_restart()
    {
        await using var node = await MessagingNode.StartAsync();
        var queue = MessagingNode.Unique("paged");
        var arguments = new Dictionary<string, object?> { ["x-max-priority"] = 2 };
        await using (var connection = await node.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
            for (var i = 0; i < Count; i++)
            {
                await channel.BasicPublishAsync("", queue, false, new BasicProperties { Persistent = true, Priority = Priority(i) }, Body(i));
            }
            // Take the first 20 now (all priority 2: read back from memory and from the log), leave the rest.
            for (var i = 0; i < 20; i++)
            {
                var got = await channel.BasicGetAsync(queue, autoAck: false);
                Assert.Equal(i * 4, BinaryPrimitives.ReadInt32BigEndian(got!.Body.Span));
                await channel.BasicAckAsync(got.DeliveryTag, false);
            }
        }
        await node.RestartAsync();
        await using var after = await node.ConnectAsync();
        await using var check = await after.CreateChannelAsync();
        Assert.Equal((uint)(Count - 20), (await check.QueueDeclarePassiveAsync(queue)).MessageCount);
        var expected = Enumerable.Range(0, Count).Where(i => i % 4 == 0).Skip(20)
            .Concat(Enumerable.Range(0, Count).Where(i => i % 4 != 0));
        Assert.Equal(expected, await GetAllAsync(check, queue));
    }
}
