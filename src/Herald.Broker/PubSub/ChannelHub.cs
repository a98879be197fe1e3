using System.Collections.Concurrent;
using Herald.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Broker.PubSub;

/// <summary>
/// Herald's channels (DESIGN.md section 2: in-memory fan-out, at-most-once, nothing stored): subscribers register
/// for channel names, for glob patterns (<see cref="GlobPattern"/>) or for channels in the separate shard namespace,
/// and <see cref="Publish"/> hands a message to each matching subscription, returning how many there were. Redis's
/// semantics throughout: a subscriber that matches by name and by two patterns receives the message three times and
/// counts three times; shard channels ignore patterns. Protocol-neutral: subscribers are
/// <see cref="IChannelSubscriber"/>s, which a front end implements.
/// <para>
/// One per broker; thread-safe. Subscribing and unsubscribing take one lock; publishing takes none: it reads the
/// channel's current subscriber array (replaced, never changed in place) and the pattern array the same way, then
/// calls <see cref="IChannelSubscriber.Deliver"/> with no lock held, so a subscriber may take its own lock there and
/// may call back into the hub without deadlock. A subscriber that unsubscribes while a publish is running may still
/// receive that one message; subscribers that care (to never deliver after confirming an unsubscribe) check their
/// own state in <c>Deliver</c>. Channel entries are removed when their last subscriber leaves, so clients cannot grow
/// the tables with channels nobody listens to.
/// </para>
/// </summary>
public sealed class ChannelHub
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<byte[], ChannelEntry> _channels = new(ByteContentComparer.Instance);
    private readonly ConcurrentDictionary<byte[], ChannelEntry> _shardChannels = new(ByteContentComparer.Instance);
    private readonly ConcurrentDictionary<byte[], ChannelEntry>.AlternateLookup<ReadOnlySpan<byte>> _channelLookup;
    private readonly ConcurrentDictionary<byte[], ChannelEntry>.AlternateLookup<ReadOnlySpan<byte>> _shardChannelLookup;
    private volatile ChannelEntry[] _patterns = [];

    public ChannelHub(ILogger<ChannelHub>? logger = null)
    {
        _logger = logger ?? NullLogger<ChannelHub>.Instance;
        _channelLookup = _channels.GetAlternateLookup<ReadOnlySpan<byte>>();
        _shardChannelLookup = _shardChannels.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Channels with at least one subscriber (Redis INFO <c>pubsub_channels</c>).</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Shard channels with at least one subscriber (Redis INFO <c>pubsubshard_channels</c>).</summary>
    public int ShardChannelCount => _shardChannels.Count;

    /// <summary>Distinct patterns with at least one subscriber (Redis PUBSUB NUMPAT, INFO <c>pubsub_patterns</c>).</summary>
    public int PatternCount => _patterns.Length;

    /// <summary>Subscribes to a channel by name. False if the subscriber already was.</summary>
    public bool Subscribe(ReadOnlySpan<byte> channel, IChannelSubscriber subscriber) =>
        Add(_channels, _channelLookup, channel, subscriber);

    /// <summary>False if the subscriber was not subscribed.</summary>
    public bool Unsubscribe(ReadOnlySpan<byte> channel, IChannelSubscriber subscriber) =>
        Remove(_channels, _channelLookup, channel, subscriber);

    /// <summary>Subscribes to a channel of the shard namespace (SSUBSCRIBE). False if the subscriber already was.</summary>
    public bool SubscribeShard(ReadOnlySpan<byte> channel, IChannelSubscriber subscriber) =>
        Add(_shardChannels, _shardChannelLookup, channel, subscriber);

    public bool UnsubscribeShard(ReadOnlySpan<byte> channel, IChannelSubscriber subscriber) =>
        Remove(_shardChannels, _shardChannelLookup, channel, subscriber);

    /// <summary>Subscribes to every channel matching a glob pattern. False if the subscriber already was.</summary>
    public bool SubscribePattern(ReadOnlySpan<byte> pattern, IChannelSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            var patterns = _patterns;
            var index = IndexOf(patterns, pattern);
            if (index < 0)
            {
                _patterns = [.. patterns, new ChannelEntry(pattern.ToArray(), [subscriber])];
                return true;
            }
            return patterns[index].TryAdd(subscriber);
        }
    }

    public bool UnsubscribePattern(ReadOnlySpan<byte> pattern, IChannelSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            var patterns = _patterns;
            var index = IndexOf(patterns, pattern);
            if (index < 0 || !patterns[index].TryRemove(subscriber))
            {
                return false;
            }
            if (patterns[index].Subscribers.Length == 0)
            {
                var remaining = new ChannelEntry[patterns.Length - 1];
                patterns.AsSpan(0, index).CopyTo(remaining);
                patterns.AsSpan(index + 1).CopyTo(remaining.AsSpan(index));
                _patterns = remaining;
            }
            return true;
        }
    }

    /// <summary>
    /// Hands <paramref name="message"/> to every subscriber of <paramref name="channel"/> and of every pattern it
    /// matches. Returns the number of deliveries (Redis PUBLISH's reply).
    /// </summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var receivers = 0;
        if (_channelLookup.TryGetValue(channel, out var entry))
        {
            receivers += DeliverAll(entry.Subscribers, new ChannelDelivery(ChannelSubscriptionKind.Channel, channel, default, message));
        }
        foreach (var pattern in _patterns)
        {
            if (GlobPattern.IsMatch(pattern.Name, channel))
            {
                receivers += DeliverAll(
                    pattern.Subscribers, new ChannelDelivery(ChannelSubscriptionKind.Pattern, channel, pattern.Name, message));
            }
        }
        return receivers;
    }

    /// <summary>Publishes in the shard namespace (SPUBLISH): shard subscribers only, no patterns.</summary>
    public int PublishShard(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message) =>
        _shardChannelLookup.TryGetValue(channel, out var entry)
            ? DeliverAll(entry.Subscribers, new ChannelDelivery(ChannelSubscriptionKind.ShardChannel, channel, default, message))
            : 0;

    /// <summary>Subscribers of a channel by name; pattern subscriptions are not counted (PUBSUB NUMSUB).</summary>
    public int CountSubscribers(ReadOnlySpan<byte> channel) =>
        _channelLookup.TryGetValue(channel, out var entry) ? entry.Subscribers.Length : 0;

    public int CountShardSubscribers(ReadOnlySpan<byte> channel) =>
        _shardChannelLookup.TryGetValue(channel, out var entry) ? entry.Subscribers.Length : 0;

    /// <summary>
    /// Channels with subscribers whose names match <paramref name="pattern"/>, or all of them when it is null
    /// (PUBSUB CHANNELS), in byte order.
    /// </summary>
    public IReadOnlyList<byte[]> GetChannels(byte[]? pattern) => List(_channels, pattern);

    public IReadOnlyList<byte[]> GetShardChannels(byte[]? pattern) => List(_shardChannels, pattern);

    private bool Add(
        ConcurrentDictionary<byte[], ChannelEntry> table,
        ConcurrentDictionary<byte[], ChannelEntry>.AlternateLookup<ReadOnlySpan<byte>> lookup,
        ReadOnlySpan<byte> channel,
        IChannelSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            if (lookup.TryGetValue(channel, out var entry))
            {
                return entry.TryAdd(subscriber);
            }
            entry = new ChannelEntry(channel.ToArray(), [subscriber]);
            table[entry.Name] = entry;
            return true;
        }
    }

    private bool Remove(
        ConcurrentDictionary<byte[], ChannelEntry> table,
        ConcurrentDictionary<byte[], ChannelEntry>.AlternateLookup<ReadOnlySpan<byte>> lookup,
        ReadOnlySpan<byte> channel,
        IChannelSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            if (!lookup.TryGetValue(channel, out var entry) || !entry.TryRemove(subscriber))
            {
                return false;
            }
            if (entry.Subscribers.Length == 0)
            {
                table.TryRemove(entry.Name, out _);
            }
            return true;
        }
    }

    private int DeliverAll(IChannelSubscriber[] subscribers, in ChannelDelivery delivery)
    {
        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber.Deliver(delivery);
            }
            catch (Exception e)
            {
                // The contract says Deliver does not throw; if one does anyway, the publisher and the other
                // subscribers must not pay for it.
                _logger.LogError(e, "A channel subscriber failed to take a message; the message was dropped for it");
            }
        }
        return subscribers.Length;
    }

    private static int IndexOf(ChannelEntry[] entries, ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Name.AsSpan().SequenceEqual(name))
            {
                return i;
            }
        }
        return -1;
    }

    private static List<byte[]> List(ConcurrentDictionary<byte[], ChannelEntry> table, byte[]? pattern)
    {
        var names = new List<byte[]>();
        foreach (var (name, _) in table)
        {
            if (pattern is null || GlobPattern.IsMatch(pattern, name))
            {
                names.Add(name);
            }
        }
        names.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        return names;
    }

    /// <summary>
    /// A channel or pattern and its subscribers. <see cref="Subscribers"/> is replaced under the hub's lock and never
    /// changed in place, so a publisher reading it without the lock sees a consistent array.
    /// </summary>
    private sealed class ChannelEntry(byte[] name, IChannelSubscriber[] subscribers)
    {
        private volatile IChannelSubscriber[] _subscribers = subscribers;

        public byte[] Name { get; } = name;

        public IChannelSubscriber[] Subscribers => _subscribers;

        public bool TryAdd(IChannelSubscriber subscriber)
        {
            var current = _subscribers;
            if (Array.IndexOf(current, subscriber) >= 0)
            {
                return false;
            }
            _subscribers = [.. current, subscriber];
            return true;
        }

        public bool TryRemove(IChannelSubscriber subscriber)
        {
            var current = _subscribers;
            var index = Array.IndexOf(current, subscriber);
            if (index < 0)
            {
                return false;
            }
            var remaining = new IChannelSubscriber[current.Length - 1];
            current.AsSpan(0, index).CopyTo(remaining);
            current.AsSpan(index + 1).CopyTo(remaining.AsSpan(index));
            _subscribers = remaining;
            return true;
        }
    }
}
