namespace Herald.Broker.Exchanges;

/// <summary>
/// An exchange type's matching table, built from the exchange's bindings and immutable afterwards: a bind or unbind
/// builds a new router and swaps it in, so routing reads a snapshot without locks. Bindings change rarely and
/// messages often, so the cost goes to the change.
/// </summary>
public abstract class ExchangeRouter
{
    /// <summary>Calls <paramref name="visit"/> for each binding destination the message matches (duplicates allowed).</summary>
    public abstract void Match<TVisitor>(string routingKey, IReadOnlyDictionary<string, object?>? headers, ref TVisitor visit)
        where TVisitor : struct, IDestinationVisitor;

    public static ExchangeRouter Build(ExchangeType type, IReadOnlyList<Binding> bindings) => type switch
    {
        ExchangeType.Direct => new DirectRouter(bindings),
        ExchangeType.Fanout => new FanoutRouter(bindings),
        ExchangeType.Topic => new TopicRouter(bindings),
        _ => new HeadersRouter(bindings),
    };
}

/// <summary>Receives matched destinations; a struct so routing runs without delegates or closures.</summary>
public interface IDestinationVisitor
{
    void Visit(IBindingDestination destination);
}

/// <summary>Exact routing-key lookup.</summary>
public sealed class DirectRouter : ExchangeRouter
{
    private readonly Dictionary<string, IBindingDestination[]> _byKey;

    public DirectRouter(IReadOnlyList<Binding> bindings)
    {
        var lists = new Dictionary<string, List<IBindingDestination>>(StringComparer.Ordinal);
        foreach (var binding in bindings)
        {
            if (!lists.TryGetValue(binding.RoutingKey, out var list))
            {
                lists[binding.RoutingKey] = list = [];
            }
            list.Add(binding.Destination);
        }
        _byKey = new Dictionary<string, IBindingDestination[]>(lists.Count, StringComparer.Ordinal);
        foreach (var (key, list) in lists)
        {
            _byKey[key] = list.ToArray();
        }
    }

    public override void Match<TVisitor>(string routingKey, IReadOnlyDictionary<string, object?>? headers, ref TVisitor visit)
    {
        if (_byKey.TryGetValue(routingKey, out var destinations))
        {
            foreach (var destination in destinations)
            {
                visit.Visit(destination);
            }
        }
    }
}

/// <summary>Every bound destination.</summary>
public sealed class FanoutRouter(IReadOnlyList<Binding> bindings) : ExchangeRouter
{
    private readonly IBindingDestination[] _destinations = bindings.Select(b => b.Destination).ToArray();

    public override void Match<TVisitor>(string routingKey, IReadOnlyDictionary<string, object?>? headers, ref TVisitor visit)
    {
        foreach (var destination in _destinations)
        {
            visit.Visit(destination);
        }
    }
}
