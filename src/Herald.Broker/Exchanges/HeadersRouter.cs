using Herald.Broker.Messages;

namespace Herald.Broker.Exchanges;

/// <summary>
/// Headers matching as RabbitMQ does it: a binding's arguments are the headers to compare, <c>x-match</c> says how:
/// <c>all</c> (the default) or <c>any</c> ignore arguments starting with <c>x-</c>; <c>all-with-x</c> and
/// <c>any-with-x</c> include them. An argument with no value (null) matches any message that has the header.
/// </summary>
public sealed class HeadersRouter : ExchangeRouter
{
    private readonly Rule[] _rules;

    public HeadersRouter(IReadOnlyList<Binding> bindings)
    {
        _rules = new Rule[bindings.Count];
        for (var i = 0; i < bindings.Count; i++)
        {
            _rules[i] = Rule.From(bindings[i]);
        }
    }

    /// <summary>The x-match mode named by <paramref name="arguments"/>, or null when it is not a valid one.</summary>
    public static (bool Any, bool WithX)? ParseMatchMode(IReadOnlyDictionary<string, object?> arguments)
    {
        if (!arguments.TryGetValue("x-match", out var value))
        {
            return (false, false);
        }
        return NeutralValue.TryGetString(value, out var mode) ? mode switch
        {
            "all" => (false, false),
            "any" => (true, false),
            "all-with-x" => (false, true),
            "any-with-x" => (true, true),
            _ => null,
        } : null;
    }

    public override void Match<TVisitor>(string routingKey, IReadOnlyDictionary<string, object?>? headers, ref TVisitor visit)
    {
        headers ??= NeutralValue.EmptyTable;
        foreach (var rule in _rules)
        {
            if (rule.Matches(headers))
            {
                visit.Visit(rule.Destination);
            }
        }
    }

    private sealed class Rule(IBindingDestination destination, bool any, KeyValuePair<string, object?>[] conditions)
    {
        public IBindingDestination Destination { get; } = destination;

        public static Rule From(Binding binding)
        {
            var (any, withX) = ParseMatchMode(binding.Arguments) ?? (false, false);
            var conditions = new List<KeyValuePair<string, object?>>();
            foreach (var pair in binding.Arguments)
            {
                if (pair.Key == "x-match" || (!withX && pair.Key.StartsWith("x-", StringComparison.Ordinal)))
                {
                    continue;
                }
                conditions.Add(pair);
            }
            return new Rule(binding.Destination, any, conditions.ToArray());
        }

        public bool Matches(IReadOnlyDictionary<string, object?> headers)
        {
            if (conditions.Length == 0)
            {
                return !any; // "all" of nothing matches every message; "any" of nothing matches none
            }
            foreach (var (name, expected) in conditions)
            {
                var matched = headers.TryGetValue(name, out var actual) && (expected is null || NeutralValue.AreEquivalent(expected, actual));
                if (any && matched)
                {
                    return true;
                }
                if (!any && !matched)
                {
                    return false;
                }
            }
            return !any;
        }
    }
}
