namespace Herald.Broker.Exchanges;

/// <summary>
/// Topic matching with a trie of binding-key words: each node has children by literal word, one child for <c>*</c>
/// and one for <c>#</c>. A routing key is split into word ranges once (no substrings), and the trie is walked
/// with backtracking only where <c>#</c> nodes exist, so a message costs a few dictionary lookups per word
/// instead of one pattern test per binding.
/// </summary>
public sealed class TopicRouter : ExchangeRouter
{
    private const int MaxStackWords = 64;
    private readonly Node _root = new();

    public TopicRouter(IReadOnlyList<Binding> bindings)
    {
        foreach (var binding in bindings)
        {
            var node = _root;
            if (binding.RoutingKey.Length > 0)
            {
                foreach (var word in binding.RoutingKey.Split('.'))
                {
                    node = word switch
                    {
                        "*" => node.Star ??= new Node(),
                        "#" => node.Hash ??= new Node(),
                        _ => node.Child(word),
                    };
                }
            }
            node.Destinations.Add(binding.Destination);
        }
        _root.Freeze();
    }

    public override void Match<TVisitor>(string routingKey, IReadOnlyDictionary<string, object?>? headers, ref TVisitor visit)
    {
        var wordCount = routingKey.Length == 0 ? 0 : routingKey.AsSpan().Count('.') + 1;
        Span<Range> words = wordCount <= MaxStackWords ? stackalloc Range[wordCount] : new Range[wordCount];
        if (wordCount > 0)
        {
            routingKey.AsSpan().Split(words, '.');
        }
        Walk(_root, routingKey, words, 0, ref visit);
    }

    /// <summary>True when binding key <paramref name="pattern"/> matches <paramref name="routingKey"/> (tests, diagnostics).</summary>
    public static bool Matches(string pattern, string routingKey)
    {
        var router = new TopicRouter([new Binding(null!, new Probe(), pattern, Messages.NeutralValue.EmptyTable)]);
        var visitor = new CountingVisitor();
        router.Match(routingKey, null, ref visitor);
        return visitor.Count > 0;
    }

    private static void Walk<TVisitor>(Node node, string key, ReadOnlySpan<Range> words, int index, ref TVisitor visit)
        where TVisitor : struct, IDestinationVisitor
    {
        if (node.Hash is { } hash)
        {
            // '#' consumes zero or more words: try every split point.
            for (var next = index; next <= words.Length; next++)
            {
                Walk(hash, key, words, next, ref visit);
            }
        }
        if (index == words.Length)
        {
            foreach (var destination in node.FrozenDestinations)
            {
                visit.Visit(destination);
            }
            return;
        }
        var word = key.AsSpan()[words[index]];
        if (node.Lookup is { } lookup && lookup.TryGetValue(word, out var child))
        {
            Walk(child, key, words, index + 1, ref visit);
        }
        if (node.Star is { } star)
        {
            Walk(star, key, words, index + 1, ref visit);
        }
    }

    private sealed class Node
    {
        private Dictionary<string, Node>? _children;

        public Node? Star { get; set; }

        public Node? Hash { get; set; }

        public List<IBindingDestination> Destinations { get; } = [];

        public IBindingDestination[] FrozenDestinations { get; private set; } = [];

        public Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>>? Lookup { get; private set; }

        public Node Child(string word)
        {
            _children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!_children.TryGetValue(word, out var child))
            {
                _children[word] = child = new Node();
            }
            return child;
        }

        public void Freeze()
        {
            FrozenDestinations = Destinations.ToArray();
            if (_children is not null)
            {
                Lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (var child in _children.Values)
                {
                    child.Freeze();
                }
            }
            Star?.Freeze();
            Hash?.Freeze();
        }
    }

    private sealed class Probe : IBindingDestination
    {
        public string Name => "";

        public bool IsDurable => false;
    }

    private struct CountingVisitor : IDestinationVisitor
    {
        public int Count;

        public void Visit(IBindingDestination destination) => Count++;
    }
}
