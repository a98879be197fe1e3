namespace Herald.Broker.PubSub;

/// <summary>How a subscriber came to receive a message.</summary>
public enum ChannelSubscriptionKind
{
    /// <summary>Subscribed to the channel by name (Redis SUBSCRIBE).</summary>
    Channel,

    /// <summary>Subscribed to a glob pattern the channel matches (Redis PSUBSCRIBE).</summary>
    Pattern,

    /// <summary>Subscribed to the channel in the shard namespace (Redis SSUBSCRIBE).</summary>
    ShardChannel,
}

/// <summary>
/// One message handed to one subscriber: the channel it was published to, the pattern that matched (for
/// <see cref="ChannelSubscriptionKind.Pattern"/>, empty otherwise) and the payload. A view over the publisher's
/// bytes, valid only during <see cref="IChannelSubscriber.Deliver"/>.
/// </summary>
public readonly ref struct ChannelDelivery
{
    public ChannelDelivery(ChannelSubscriptionKind kind, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> message)
    {
        Kind = kind;
        Channel = channel;
        Pattern = pattern;
        Message = message;
    }

    public ChannelSubscriptionKind Kind { get; }

    public ReadOnlySpan<byte> Channel { get; }

    public ReadOnlySpan<byte> Pattern { get; }

    public ReadOnlySpan<byte> Message { get; }
}
