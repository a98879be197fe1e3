using System.Text;
using Herald.Broker.Queues;
using Herald.Broker.Tests.Topics;
using Herald.Broker.VirtualHosts;
using static Herald.Broker.Tests.Queues.TestMessages;

namespace Herald.Broker.Tests.Queues;

/// <summary>
/// Durable queues with more ready messages than the memory budget keep only slots for the excess and read the
/// messages back from their logs; order, priorities, TTL and acknowledgements must not notice.
/// </summary>
public class QueuePagingTests
{
    private const long Budget = 2000; // about 20 of the 100-byte bodies below

    private static string Body(int i) => $"m{i:D4}".PadRight(100, '.');

    private static int Number(Delivery delivery) => int.Parse(Encoding.UTF8.GetString(delivery.Message.Body.Span)[1..5]);

    [Fact]
    public async Task A_queue_over_the_budget_holds_only_the_budget_in_memory_and_delivers_everything_in_order()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        fixture.Broker.VirtualHosts.ReadyMemory.LimitBytes = Budget;
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("paged");
        for (var i = 0; i < 500; i++)
        {
            host.PublishText("", "paged", Body(i));
        }
        Assert.Equal(500, host.GetQueue("paged", null).MessageCount);
        Assert.InRange(fixture.Broker.VirtualHosts.ReadyMemory.UsedBytes, 1, Budget);

        var target = new RecordingTarget();
        var session = host.OpenSession(null, target);
        session.SetPrefetch(50, global: false);
        session.Consume("paged", "c", noAck: false, exclusive: false, NoArguments);
        while (target.Deliveries.Count < 500)
        {
            Assert.NotEmpty(target.Deliveries);
            session.Ack(target.Deliveries[^1].Delivery.DeliveryTag, multiple: true);
        }
        Assert.Equal(Enumerable.Range(0, 500), target.Deliveries.Select(d => Number(d.Delivery)));
        Assert.Equal(0, fixture.Broker.VirtualHosts.ReadyMemory.UsedBytes);
    }

    [Fact]
    public async Task After_a_restart_paged_messages_come_back_in_priority_and_id_order_and_expired_ones_do_not()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        fixture.ReadyMemoryLimitBytes = Budget;
        fixture.Broker.VirtualHosts.ReadyMemory.LimitBytes = Budget;
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("prio", arguments: Arguments(("x-max-priority", 2)));
        Task last = Task.CompletedTask;
        for (var i = 0; i < 300; i++)
        {
            // Every third message has priority 2; every tenth expires after one second.
            last = host.PublishText("", "prio", Body(i), priority: (byte)(i % 3 == 0 ? 2 : 0),
                expiration: i % 10 == 7 ? 1000 : null).Durable;
        }
        await last;
        var session = host.OpenSession(null, new RecordingTarget());
        var first = session.Get("prio", noAck: false)!.Value; // m0000 (priority 2), unacked at the restart
        Assert.Equal(0, Number(first));
        session.Ack(session.Get("prio", noAck: false)!.Value.DeliveryTag, false); // m0003 acked

        await fixture.ReopenAsync();
        host = fixture.Broker.VirtualHosts.Default;
        Assert.Equal(299, host.GetQueue("prio", null).MessageCount);
        Assert.InRange(fixture.Broker.VirtualHosts.ReadyMemory.UsedBytes, 1, Budget);
        fixture.Clock.Advance(TimeSpan.FromSeconds(2));

        var expected = Enumerable.Range(0, 300).Where(i => i % 3 == 0 && i != 3 && i % 10 != 7)
            .Concat(Enumerable.Range(0, 300).Where(i => i % 3 != 0 && i % 10 != 7));
        var delivered = host.Drain("prio");
        Assert.Equal(expected, delivered.Select(Number));
        Assert.Equal(0, host.GetQueue("prio", null).MessageCount);
    }

    [Fact]
    public async Task Purge_and_delete_release_paged_messages_without_reading_them()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        fixture.Broker.VirtualHosts.ReadyMemory.LimitBytes = Budget;
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("p");
        for (var i = 0; i < 100; i++)
        {
            host.PublishText("", "p", Body(i));
        }
        Assert.Equal(100, host.GetQueue("p", null).Purge());
        Assert.Equal(0, fixture.Broker.VirtualHosts.ReadyMemory.UsedBytes);
        host.PublishText("", "p", Body(100));
        Assert.Equal([100], host.Drain("p").Select(Number));
        await fixture.ReopenAsync();
        Assert.Equal(0, fixture.Broker.VirtualHosts.Default.GetQueue("p", null).MessageCount);
    }
}
