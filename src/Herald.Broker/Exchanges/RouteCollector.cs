using Herald.Broker.Queues;

namespace Herald.Broker.Exchanges;

/// <summary>
/// Scratch space for one routing decision: the destination queues, deduplicated (a queue bound twice, or reached
/// through two exchanges, receives one copy), and the exchanges visited, so exchange-to-exchange cycles stop.
/// Reused across publishes by one thread (<see cref="Rent"/>), so routing allocates nothing per message.
/// </summary>
public sealed class RouteCollector
{
    [ThreadStatic]
    private static RouteCollector? _cached;

    private readonly HashSet<Queue> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Exchange> _visited = new(ReferenceEqualityComparer.Instance);

    /// <summary>The queues reached, in the order first reached.</summary>
    public List<Queue> Queues { get; } = [];

    /// <summary>A cleared collector for this thread; hand it back with <see cref="Return"/>.</summary>
    public static RouteCollector Rent()
    {
        var collector = _cached ?? new RouteCollector();
        _cached = null;
        return collector;
    }

    public static void Return(RouteCollector collector)
    {
        collector.Clear();
        _cached = collector;
    }

    public void AddQueue(Queue queue)
    {
        if (_seen.Add(queue))
        {
            Queues.Add(queue);
        }
    }

    /// <summary>True the first time <paramref name="exchange"/> is entered during this routing decision.</summary>
    public bool TryVisit(Exchange exchange) => _visited.Add(exchange);

    public void Clear()
    {
        Queues.Clear();
        _seen.Clear();
        _visited.Clear();
    }
}
