using Herald.Broker.Tests.Topics;
using Herald.Broker.VirtualHosts;
using static Herald.Broker.Tests.Queues.TestMessages;

namespace Herald.Broker.Tests.Exchanges;

public class ExchangeRoutingTests
{
    private static async Task<VirtualHost> HostWithQueuesAsync(BrokerFixture fixture, params string[] queues)
    {
        var host = fixture.Broker.VirtualHosts.Default;
        foreach (var queue in queues)
        {
            await host.DeclareAsync(queue, durable: false);
        }
        return host;
    }

    [Fact]
    public async Task Default_exchange_routes_to_the_queue_named_by_the_routing_key()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q1", "q2");
        Assert.Equal(PublishStatus.Routed, host.PublishText("", "q2", "m").Status);
        Assert.Equal(PublishStatus.Unroutable, host.PublishText("", "nope", "m").Status);
        Assert.Equal(0, host.GetQueue("q1", null).MessageCount);
        Assert.Equal(1, host.GetQueue("q2", null).MessageCount);
    }

    [Fact]
    public async Task Direct_exchange_routes_by_exact_key_and_delivers_once_per_queue()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "a", "b");
        await host.BindQueueAsync("a", "amq.direct", "k1", NoArguments, null);
        await host.BindQueueAsync("a", "amq.direct", "k1", NoArguments, null); // a re-bind is a no-op
        await host.BindQueueAsync("b", "amq.direct", "k2", NoArguments, null);
        var result = host.PublishText("amq.direct", "k1", "m");
        Assert.Equal(1, result.QueueCount);
        Assert.Equal(1, host.GetQueue("a", null).MessageCount);
        Assert.Equal(0, host.GetQueue("b", null).MessageCount);
        await host.UnbindQueueAsync("a", "amq.direct", "k1", NoArguments, null);
        Assert.Equal(PublishStatus.Unroutable, host.PublishText("amq.direct", "k1", "m").Status);
    }

    [Fact]
    public async Task Fanout_exchange_routes_to_every_bound_queue()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "a", "b", "c");
        foreach (var queue in new[] { "a", "b", "c" })
        {
            await host.BindQueueAsync(queue, "amq.fanout", "ignored-" + queue, NoArguments, null);
        }
        Assert.Equal(3, host.PublishText("amq.fanout", "whatever", "m").QueueCount);
    }

    [Fact]
    public async Task Topic_exchange_routes_by_pattern_and_deduplicates_overlapping_bindings()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "all", "usd");
        await host.BindQueueAsync("all", "amq.topic", "#", NoArguments, null);
        await host.BindQueueAsync("all", "amq.topic", "stock.#", NoArguments, null);
        await host.BindQueueAsync("usd", "amq.topic", "stock.usd.*", NoArguments, null);
        Assert.Equal(2, host.PublishText("amq.topic", "stock.usd.nyse", "m").QueueCount);
        Assert.Equal(1, host.PublishText("amq.topic", "stock.eur.x", "m").QueueCount);
        Assert.Equal(2, host.GetQueue("all", null).MessageCount);
    }

    [Theory]
    [InlineData("all", true, false, false)]
    [InlineData("any", true, true, false)]
    [InlineData("all-with-x", false, false, false)]
    [InlineData("any-with-x", true, true, true)]
    public async Task Headers_exchange_matches_as_x_match_says(string mode, bool both, bool one, bool onlyX)
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q");
        await host.BindQueueAsync("q", "amq.headers", "", Arguments(("x-match", mode), ("format", "pdf"), ("type", "report"), ("x-tag", "t")), null);
        Assert.Equal(both, host.PublishText("amq.headers", "", "m", headers: Arguments(("format", "pdf"), ("type", "report"))).QueueCount == 1);
        Assert.Equal(one, host.PublishText("amq.headers", "", "m", headers: Arguments(("format", "pdf"))).QueueCount == 1);
        Assert.Equal(onlyX, host.PublishText("amq.headers", "", "m", headers: Arguments(("x-tag", "t"))).QueueCount == 1);
    }

    [Fact]
    public async Task Headers_exchange_compares_integers_of_any_width_and_rejects_a_bad_x_match()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q");
        await host.BindQueueAsync("q", "amq.match", "", Arguments(("n", 5L)), null);
        Assert.Equal(1, host.PublishText("amq.match", "", "m", headers: Arguments(("n", 5))).QueueCount);
        var error = await Assert.ThrowsAsync<MessagingException>(() =>
            host.BindQueueAsync("q", "amq.match", "", Arguments(("x-match", "some")), null));
        Assert.Equal(MessagingError.PreconditionFailed, error.Error);
    }

    [Fact]
    public async Task Exchange_to_exchange_bindings_route_through_and_cycles_terminate()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q");
        await host.DeclareExchangeAsync("e1", "fanout", false, false, false, false, NoArguments);
        await host.DeclareExchangeAsync("e2", "direct", false, false, false, false, NoArguments);
        await host.BindExchangeAsync("e2", "e1", "", NoArguments);
        await host.BindExchangeAsync("e1", "e2", "k", NoArguments); // a cycle
        await host.BindQueueAsync("q", "e2", "k", NoArguments, null);
        Assert.Equal(1, host.PublishText("e1", "k", "m").QueueCount);
        Assert.Equal(1, host.GetQueue("q", null).MessageCount);
    }

    [Fact]
    public async Task Alternate_exchange_receives_what_the_exchange_cannot_route()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "routed", "unrouted");
        await host.DeclareExchangeAsync("ae", "fanout", false, true, false, false, NoArguments);
        await host.DeclareExchangeAsync("main", "direct", false, true, false, false, Arguments(("alternate-exchange", "ae")));
        await host.BindQueueAsync("unrouted", "ae", "", NoArguments, null);
        await host.BindQueueAsync("routed", "main", "k", NoArguments, null);
        host.PublishText("main", "k", "m");
        host.PublishText("main", "other", "m");
        Assert.Equal(1, host.GetQueue("routed", null).MessageCount);
        Assert.Equal(1, host.GetQueue("unrouted", null).MessageCount);
    }

    [Fact]
    public async Task Declare_checks_equivalence_passive_existence_and_reserved_names()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareExchangeAsync("x", "topic", false, true, false, false, NoArguments);
        await host.DeclareExchangeAsync("x", "topic", false, true, false, false, NoArguments);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareExchangeAsync("x", "direct", false, true, false, false, NoArguments))).Error);
        Assert.Equal(MessagingError.NotFound, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareExchangeAsync("missing", "", true, false, false, false, NoArguments))).Error);
        Assert.Equal(MessagingError.AccessRefused, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareExchangeAsync("amq.mine", "direct", false, true, false, false, NoArguments))).Error);
        Assert.Equal(MessagingError.CommandInvalid, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeclareExchangeAsync("y", "nonsense", false, true, false, false, NoArguments))).Error);
    }

    [Fact]
    public async Task Internal_exchanges_refuse_publishes_and_delete_if_unused_keeps_bound_ones()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q");
        await host.DeclareExchangeAsync("inner", "fanout", false, false, false, true, NoArguments);
        Assert.Equal(PublishStatus.ExchangeInternal, host.PublishText("inner", "", "m").Status);
        Assert.Equal(PublishStatus.ExchangeNotFound, host.PublishText("missing", "", "m").Status);
        await host.BindQueueAsync("q", "inner", "", NoArguments, null);
        Assert.Equal(MessagingError.PreconditionFailed, (await Assert.ThrowsAsync<MessagingException>(() =>
            host.DeleteExchangeAsync("inner", ifUnused: true))).Error);
        await host.DeleteExchangeAsync("inner", ifUnused: false);
        Assert.False(host.TryGetExchange("inner", out _));
    }

    [Fact]
    public async Task Auto_delete_exchange_goes_with_its_last_binding()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = await HostWithQueuesAsync(fixture, "q");
        await host.DeclareExchangeAsync("temp", "direct", false, false, true, false, NoArguments);
        await host.BindQueueAsync("q", "temp", "k", NoArguments, null);
        await host.UnbindQueueAsync("q", "temp", "k", NoArguments, null);
        Assert.False(host.TryGetExchange("temp", out _));
    }

    [Fact]
    public async Task Durable_exchanges_and_bindings_survive_a_restart_and_transient_ones_do_not()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var host = fixture.Broker.VirtualHosts.Default;
        await host.DeclareAsync("dq", durable: true);
        await host.DeclareAsync("tq", durable: false);
        await host.DeclareExchangeAsync("dx", "topic", false, true, false, false, Arguments(("alternate-exchange", "amq.fanout")));
        await host.DeclareExchangeAsync("tx", "topic", false, false, false, false, NoArguments);
        await host.BindQueueAsync("dq", "dx", "a.#", NoArguments, null);
        await fixture.ReopenAsync();
        host = fixture.Broker.VirtualHosts.Default;
        Assert.True(host.TryGetExchange("dx", out var exchange));
        Assert.Equal("amq.fanout", exchange.AlternateExchange);
        Assert.False(host.TryGetExchange("tx", out _));
        Assert.False(host.TryGetQueue("tq", out _));
        Assert.Equal(1, host.PublishText("dx", "a.b", "m").QueueCount);
    }
}
