using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// Publisher confirms as the broker sent them, for a channel opened with confirms on and the client's own tracking
/// off (so publishes do not wait for their confirms and can go out back to back): every delivery tag acked or
/// nacked, with basic.ack/nack multiple=true expanded to the tags it covers, and a check that no tag is confirmed
/// twice or out of order.
/// </summary>
internal sealed class ConfirmRecorder
{
    private readonly object _lock = new();
    private ulong _highest;

    public ConcurrentDictionary<ulong, bool> Outcomes { get; } = new();

    public List<string> Problems { get; } = [];

    public static async Task<(IChannel Channel, ConfirmRecorder Confirms)> OpenAsync(IConnection connection)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false));
        var recorder = new ConfirmRecorder();
        channel.BasicAcksAsync += (_, e) => recorder.Record(e.DeliveryTag, e.Multiple, ack: true);
        channel.BasicNacksAsync += (_, e) => recorder.Record(e.DeliveryTag, e.Multiple, ack: false);
        return (channel, recorder);
    }

    private Task Record(ulong tag, bool multiple, bool ack)
    {
        lock (_lock)
        {
            if (tag <= _highest)
            {
                Problems.Add($"tag {tag} confirmed after {_highest}");
            }
            for (var t = multiple ? _highest + 1 : tag; t <= tag; t++)
            {
                if (!Outcomes.TryAdd(t, ack))
                {
                    Problems.Add($"tag {t} confirmed twice");
                }
            }
            _highest = Math.Max(_highest, tag);
        }
        return Task.CompletedTask;
    }

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Outcomes.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {Outcomes.Count} of {count} confirms arrived");
            await Task.Delay(10);
        }
    }
}
