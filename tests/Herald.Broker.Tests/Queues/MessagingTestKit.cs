using System.Text;
using Herald.Broker.Messages;
using Herald.Broker.Queues;
using Herald.Broker.VirtualHosts;

namespace Herald.Broker.Tests.Queues;

/// <summary>A front end stand-in: records deliveries and cancel notifications, in arrival order.</summary>
internal sealed class RecordingTarget : IDeliveryTarget
{
    private readonly object _lock = new();
    private readonly List<(string ConsumerTag, Delivery Delivery)> _deliveries = [];
    private readonly List<string> _cancelled = [];

    public IReadOnlyList<(string ConsumerTag, Delivery Delivery)> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return _deliveries.ToList();
            }
        }
    }

    public IReadOnlyList<string> Cancelled
    {
        get
        {
            lock (_lock)
            {
                return _cancelled.ToList();
            }
        }
    }

    public List<string> Bodies => Deliveries.Select(d => Encoding.UTF8.GetString(d.Delivery.Message.Body.Span)).ToList();

    public void OnDelivery(QueueConsumer consumer, in Delivery delivery)
    {
        lock (_lock)
        {
            _deliveries.Add((consumer.Tag, delivery));
        }
    }

    public void OnCancelled(QueueConsumer consumer)
    {
        lock (_lock)
        {
            _cancelled.Add(consumer.Tag);
        }
    }
}

internal static class TestMessages
{
    public static readonly IReadOnlyDictionary<string, object?> NoArguments = NeutralValue.EmptyTable;

    /// <summary>The fixture clock's start (Unix milliseconds): the default publish time.</summary>
    public const long FixtureStart = 1_700_000_000_000;

    public static Message Text(string exchange, string routingKey, string body, bool persistent = true, byte priority = 0,
        long? expiration = null, IReadOnlyDictionary<string, object?>? headers = null, long timestamp = FixtureStart) =>
        new(exchange, routingKey, Encoding.UTF8.GetBytes(body),
            new MessageProperties(new byte[] { 1, 2, 3 }, persistent, priority, expiration, headers), timestamp);

    public static Dictionary<string, object?> Arguments(params (string Key, object? Value)[] pairs)
    {
        var table = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            table[key] = value;
        }
        return table;
    }

    public static Task<QueueDeclareResult> DeclareAsync(this VirtualHost host, string name, bool durable = true,
        IReadOnlyDictionary<string, object?>? arguments = null, bool autoDelete = false, object? owner = null) =>
        host.DeclareQueueAsync(name, passive: false, durable, exclusive: owner is not null, autoDelete, arguments ?? NoArguments, owner);

    public static PublishResult PublishText(this VirtualHost host, string exchange, string routingKey, string body, bool persistent = true,
        byte priority = 0, long? expiration = null, IReadOnlyDictionary<string, object?>? headers = null) =>
        host.Publish(Text(exchange, routingKey, body, persistent, priority, expiration, headers));

    /// <summary>Takes every ready message with basic.get semantics (no ack), in delivery order.</summary>
    public static List<Delivery> Drain(this VirtualHost host, string queue)
    {
        var session = host.OpenSession(null, new RecordingTarget());
        var result = new List<Delivery>();
        while (session.Get(queue, noAck: true) is { } delivery)
        {
            result.Add(delivery);
        }
        return result;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 500; i++)
        {
            if (condition())
            {
                return;
            }
            await Task.Delay(10);
        }
        Assert.Fail($"Timed out waiting until {what}");
    }
}
