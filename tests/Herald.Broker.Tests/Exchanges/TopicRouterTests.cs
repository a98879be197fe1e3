using Herald.Broker.Exchanges;

namespace Herald.Broker.Tests.Exchanges;

public class TopicRouterTests
{
    [Theory]
    [InlineData("a.b.c", "a.b.c", true)]
    [InlineData("a.b.c", "a.b", false)]
    [InlineData("a.*.c", "a.b.c", true)]
    [InlineData("a.*.c", "a.c", false)]
    [InlineData("a.*", "a.b.c", false)]
    [InlineData("a.#", "a", true)]
    [InlineData("a.#", "a.b.c", true)]
    [InlineData("#", "", true)]
    [InlineData("#", "anything.at.all", true)]
    [InlineData("#.c", "c", true)]
    [InlineData("#.c", "a.b.c", true)]
    [InlineData("#.c", "a.b.d", false)]
    [InlineData("a.#.c", "a.c", true)]
    [InlineData("a.#.c", "a.x.y.c", true)]
    [InlineData("a.#.c", "a.x.y.d", false)]
    [InlineData("*.*", "a.b", true)]
    [InlineData("*.*", "a", false)]
    [InlineData("*", "", false)]
    [InlineData("#.#", "a.b", true)]
    [InlineData("*.#", "a", true)]
    [InlineData("*.#", "", false)]
    [InlineData("a.b", "a.bb", false)]
    [InlineData("stock.usd.*", "stock.usd.nyse", true)]
    [InlineData("stock.#", "stock.eur", true)]
    [InlineData("..", "..", true)]
    [InlineData("a..b", "a.x.b", false)]
    public void Binding_key_matches_routing_key_as_RabbitMQ_does(string pattern, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicRouter.Matches(pattern, routingKey));
}
