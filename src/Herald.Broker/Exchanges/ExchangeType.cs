namespace Herald.Broker.Exchanges;

/// <summary>How an exchange matches messages to bindings (AMQP 0-9-1 exchange types).</summary>
public enum ExchangeType
{
    /// <summary>Routing key equals binding key.</summary>
    Direct,

    /// <summary>Every binding, whatever the key.</summary>
    Fanout,

    /// <summary>Dot-separated words; binding keys may use <c>*</c> (one word) and <c>#</c> (zero or more words).</summary>
    Topic,

    /// <summary>Message headers against binding arguments, <c>x-match</c> all / any / all-with-x / any-with-x.</summary>
    Headers,
}

/// <summary>Exchange type names as AMQP spells them.</summary>
public static class ExchangeTypes
{
    public static bool TryParse(string name, out ExchangeType type)
    {
        switch (name)
        {
            case "direct": type = ExchangeType.Direct; return true;
            case "fanout": type = ExchangeType.Fanout; return true;
            case "topic": type = ExchangeType.Topic; return true;
            case "headers": type = ExchangeType.Headers; return true;
            default: type = default; return false;
        }
    }

    public static string Name(ExchangeType type) => type switch
    {
        ExchangeType.Direct => "direct",
        ExchangeType.Fanout => "fanout",
        ExchangeType.Topic => "topic",
        _ => "headers",
    };
}
