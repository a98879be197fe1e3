using Herald.Broker.Messages;

namespace Herald.Broker.Exchanges;

/// <summary>What a binding points at: a queue, or another exchange (exchange-to-exchange bindings).</summary>
public interface IBindingDestination
{
    string Name { get; }

    bool IsDurable { get; }
}

/// <summary>A route from <see cref="Source"/> to <see cref="Destination"/> for <see cref="RoutingKey"/> and arguments.</summary>
public sealed class Binding(Exchange source, IBindingDestination destination, string routingKey, IReadOnlyDictionary<string, object?> arguments)
{
    public Exchange Source { get; } = source;

    public IBindingDestination Destination { get; } = destination;

    public string RoutingKey { get; } = routingKey;

    public IReadOnlyDictionary<string, object?> Arguments { get; } = arguments;

    /// <summary>Bindings are identified by source, destination, key and arguments (AMQP: a re-bind is a no-op).</summary>
    public bool IsSameAs(IBindingDestination destination, string routingKey, IReadOnlyDictionary<string, object?> arguments) =>
        ReferenceEquals(Destination, destination) && string.Equals(RoutingKey, routingKey, StringComparison.Ordinal) &&
        NeutralValue.TablesAreEquivalent(Arguments, arguments);
}
