using Herald.Broker.Messages;
using Herald.Broker.Queues;

namespace Herald.Broker.Exchanges;

/// <summary>
/// A named router in a virtual host. Its bindings change under the virtual host's change lock; each change builds
/// a new <see cref="ExchangeRouter"/> that routing reads without locks.
/// </summary>
public sealed class Exchange : IBindingDestination
{
    private readonly List<Binding> _bindings = [];
    private ExchangeRouter _router;

    internal Exchange(string name, ExchangeType type, bool durable, bool autoDelete, bool @internal,
        IReadOnlyDictionary<string, object?> arguments)
    {
        Name = name;
        Type = type;
        IsDurable = durable;
        AutoDelete = autoDelete;
        Internal = @internal;
        Arguments = arguments;
        AlternateExchange = arguments.TryGetValue("alternate-exchange", out var alternate) &&
            NeutralValue.TryGetString(alternate, out var alternateName) ? alternateName : null;
        _router = ExchangeRouter.Build(type, _bindings);
    }

    public string Name { get; }

    public ExchangeType Type { get; }

    public bool IsDurable { get; }

    /// <summary>Deleted when its last binding (as a source) goes, once it has had one.</summary>
    public bool AutoDelete { get; }

    /// <summary>Cannot be published to directly; reachable only through exchange-to-exchange bindings.</summary>
    public bool Internal { get; }

    public IReadOnlyDictionary<string, object?> Arguments { get; }

    /// <summary>Where messages this exchange cannot route go (the <c>alternate-exchange</c> argument).</summary>
    public string? AlternateExchange { get; }

    /// <summary>The default exchange "" routes by queue name and takes no bindings.</summary>
    public bool IsDefault => Name.Length == 0;

    /// <summary>Bindings with this exchange as the source. Read under the virtual host's change lock.</summary>
    internal List<Binding> Bindings => _bindings;

    internal ExchangeRouter Router => Volatile.Read(ref _router);

    internal bool HasBindings => _bindings.Count > 0;

    internal void AddBinding(Binding binding)
    {
        _bindings.Add(binding);
        Volatile.Write(ref _router, ExchangeRouter.Build(Type, _bindings));
    }

    internal void RemoveBinding(Binding binding)
    {
        _bindings.Remove(binding);
        Volatile.Write(ref _router, ExchangeRouter.Build(Type, _bindings));
    }

    /// <summary>True when a redeclare with these settings is equivalent (AMQP: otherwise 406).</summary>
    public bool IsEquivalent(ExchangeType type, bool durable, bool autoDelete, bool @internal, IReadOnlyDictionary<string, object?> arguments) =>
        Type == type && IsDurable == durable && AutoDelete == autoDelete && Internal == @internal &&
        NeutralValue.TablesAreEquivalent(Arguments, arguments);

    /// <summary>
    /// Adds every queue the message reaches through this exchange to <paramref name="collector"/>, following
    /// exchange-to-exchange bindings and the alternate exchange (looked up by <paramref name="resolve"/>).
    /// </summary>
    internal void Route(string routingKey, IReadOnlyDictionary<string, object?>? headers, RouteCollector collector,
        Func<string, Exchange?> resolve)
    {
        if (!collector.TryVisit(this))
        {
            return; // a cycle of exchange-to-exchange bindings
        }
        var before = collector.Queues.Count;
        var visitor = new Visitor(collector, routingKey, headers, resolve);
        Router.Match(routingKey, headers, ref visitor);
        if (collector.Queues.Count == before && AlternateExchange is { } alternateName && resolve(alternateName) is { } alternate)
        {
            alternate.Route(routingKey, headers, collector, resolve);
        }
    }

    private readonly struct Visitor(RouteCollector collector, string routingKey, IReadOnlyDictionary<string, object?>? headers,
        Func<string, Exchange?> resolve) : IDestinationVisitor
    {
        public void Visit(IBindingDestination destination)
        {
            if (destination is Queue queue)
            {
                if (!queue.IsDeleted)
                {
                    collector.AddQueue(queue);
                }
            }
            else if (destination is Exchange exchange)
            {
                exchange.Route(routingKey, headers, collector, resolve);
            }
        }
    }
}
