using System.Text.Json;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>pika (Python) and amqplib (Node.js), unmodified, against an in-process Herald.</summary>
public sealed class ScriptClientTests
{
    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static IEnumerable<string> Jobs(int count) => Enumerable.Range(0, count).Select(i => $"job {i}").Order(StringComparer.Ordinal);

    [Fact]
    public async Task Pika_work_queue_with_confirms_prefetch_and_competing_consumers()
    {
        await using var node = await MessagingNode.StartAsync();
        var result = await ScriptClients.PikaAsync(node.Port, "work_queue");
        Assert.Equal(Jobs(60), Strings(result.GetProperty("all")).Order(StringComparer.Ordinal));
        Assert.True(result.GetProperty("a").GetInt32() > 0 && result.GetProperty("b").GetInt32() > 0, result.ToString());
    }

    [Fact]
    public async Task Pika_topic_routing_dead_lettering_with_x_death_and_mandatory_return()
    {
        await using var node = await MessagingNode.StartAsync();
        var result = await ScriptClients.PikaAsync(node.Port, "topic_and_dead_letter");
        Assert.Equal(["a.b.c", "a.x.c"], Strings(result.GetProperty("keys")));
        var death = result.GetProperty("death");
        Assert.Equal("rejected", death.GetProperty("reason").GetString());
        Assert.StartsWith("pika-src-", death.GetProperty("queue").GetString());
        Assert.Equal(1, death.GetProperty("count").GetInt32());
        Assert.Equal(1, death.GetProperty("attempt").GetInt32());
        Assert.Equal([312], result.GetProperty("returned").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task Pika_basic_recover_redelivers_and_internal_exchanges_refuse_publishes()
    {
        await using var node = await MessagingNode.StartAsync();
        var result = await ScriptClients.PikaAsync(node.Port, "recover_and_internal");
        Assert.Equal([false, true], result.GetProperty("redelivered").EnumerateArray().Select(e => e.GetBoolean()));
        Assert.Equal(403, result.GetProperty("internal").GetInt32());
    }

    [Fact]
    public async Task Amqplib_confirm_channel_and_competing_consumers_with_prefetch()
    {
        await using var node = await MessagingNode.StartAsync();
        var result = await ScriptClients.AmqplibAsync(node.Port, "work");
        Assert.Equal(Jobs(50), Strings(result.GetProperty("all")).Order(StringComparer.Ordinal));
        var counts = result.GetProperty("counts").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.True(counts.All(c => c > 0), result.ToString());
    }

    [Fact]
    public async Task Amqplib_priorities_headers_routing_and_not_found()
    {
        await using var node = await MessagingNode.StartAsync();
        var result = await ScriptClients.AmqplibAsync(node.Port, "priority");
        Assert.Equal(["p5", "p3", "p1"], Strings(result.GetProperty("order")));
        Assert.Equal(["one"], Strings(result.GetProperty("headers")));
        Assert.Equal(404, result.GetProperty("notFound").GetInt32());
    }
}
