using System.Text;
using Herald.Broker.PubSub;

namespace Herald.Broker.Tests.PubSub;

public sealed class ChannelHubTests
{
    private readonly ChannelHub _hub = new();

    [Fact]
    public void Publish_reaches_channel_subscribers_and_counts_them()
    {
        var first = new RecordingSubscriber();
        var second = new RecordingSubscriber();
        _hub.Subscribe("news"u8, first);
        _hub.Subscribe("news"u8, second);

        var receivers = _hub.Publish("news"u8, "hello"u8);

        Assert.Equal(2, receivers);
        Assert.Equal(["Channel news hello"], first.Messages);
        Assert.Equal(["Channel news hello"], second.Messages);
        Assert.Equal(0, _hub.Publish("other"u8, "x"u8));
    }

    [Fact]
    public void A_subscriber_matching_by_name_and_two_patterns_receives_three_copies()
    {
        var subscriber = new RecordingSubscriber();
        _hub.Subscribe("news.art"u8, subscriber);
        _hub.SubscribePattern("news.*"u8, subscriber);
        _hub.SubscribePattern("*art"u8, subscriber);
        _hub.SubscribePattern("sport.*"u8, subscriber);

        Assert.Equal(3, _hub.Publish("news.art"u8, "m"u8));

        Assert.Equal(["Channel news.art m", "Pattern news.art m news.*", "Pattern news.art m *art"], subscriber.Messages);
    }

    [Fact]
    public void Subscribing_twice_is_one_subscription()
    {
        var subscriber = new RecordingSubscriber();

        Assert.True(_hub.Subscribe("a"u8, subscriber));
        Assert.False(_hub.Subscribe("a"u8, subscriber));
        Assert.True(_hub.SubscribePattern("a*"u8, subscriber));
        Assert.False(_hub.SubscribePattern("a*"u8, subscriber));

        Assert.Equal(1, _hub.CountSubscribers("a"u8));
        Assert.Equal(1, _hub.PatternCount);
        Assert.Equal(2, _hub.Publish("a"u8, "m"u8));
    }

    [Fact]
    public void Unsubscribing_stops_delivery_and_removes_empty_channels_and_patterns()
    {
        var subscriber = new RecordingSubscriber();
        _hub.Subscribe("a"u8, subscriber);
        _hub.SubscribePattern("a*"u8, subscriber);

        Assert.True(_hub.Unsubscribe("a"u8, subscriber));
        Assert.True(_hub.UnsubscribePattern("a*"u8, subscriber));
        Assert.False(_hub.Unsubscribe("a"u8, subscriber));
        Assert.False(_hub.UnsubscribePattern("nope"u8, subscriber));

        Assert.Equal(0, _hub.Publish("a"u8, "m"u8));
        Assert.Empty(subscriber.Messages);
        Assert.Equal(0, _hub.ChannelCount);
        Assert.Equal(0, _hub.PatternCount);
        Assert.Empty(_hub.GetChannels(null));
    }

    [Fact]
    public void Shard_channels_are_a_separate_namespace_without_patterns()
    {
        var global = new RecordingSubscriber();
        var shard = new RecordingSubscriber();
        _hub.Subscribe("orders"u8, global);
        _hub.SubscribePattern("*"u8, global);
        _hub.SubscribeShard("orders"u8, shard);

        Assert.Equal(1, _hub.PublishShard("orders"u8, "s"u8));
        Assert.Equal(2, _hub.Publish("orders"u8, "g"u8));

        Assert.Equal(["ShardChannel orders s"], shard.Messages);
        Assert.Equal(["Channel orders g", "Pattern orders g *"], global.Messages);
        Assert.Equal(1, _hub.CountShardSubscribers("orders"u8));
        Assert.Equal(1, _hub.ShardChannelCount);
        Assert.Equal(["orders"], _hub.GetShardChannels(null).Select(Encoding.ASCII.GetString));
        Assert.True(_hub.UnsubscribeShard("orders"u8, shard));
        Assert.Equal(0, _hub.PublishShard("orders"u8, "s"u8));
    }

    [Fact]
    public void Channel_listing_filters_by_glob_and_sorts_by_bytes()
    {
        var subscriber = new RecordingSubscriber();
        foreach (var name in new[] { "news.b", "sport", "news.a" })
        {
            _hub.Subscribe(Encoding.ASCII.GetBytes(name), subscriber);
        }

        Assert.Equal(["news.a", "news.b", "sport"], _hub.GetChannels(null).Select(Encoding.ASCII.GetString));
        Assert.Equal(["news.a", "news.b"], _hub.GetChannels("news.*"u8.ToArray()).Select(Encoding.ASCII.GetString));
    }

    [Fact]
    public void A_throwing_subscriber_does_not_stop_delivery_to_the_others()
    {
        var good = new RecordingSubscriber();
        _hub.Subscribe("a"u8, new ThrowingSubscriber());
        _hub.Subscribe("a"u8, good);

        Assert.Equal(2, _hub.Publish("a"u8, "m"u8));
        Assert.Equal(["Channel a m"], good.Messages);
    }

    [Fact]
    public async Task Concurrent_publishers_and_subscribers_lose_no_delivery_to_steady_subscribers()
    {
        var steady = new CountingSubscriber();
        _hub.Subscribe("hot"u8, steady);
        _hub.SubscribePattern("h*"u8, steady);
        const int PublishesPerTask = 20_000;

        var publishers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PublishesPerTask; i++)
            {
                _hub.Publish("hot"u8, "m"u8);
            }
        }));
        var churn = Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                var transient = new CountingSubscriber();
                _hub.Subscribe("hot"u8, transient);
                _hub.SubscribePattern("h*"u8, transient);
                _hub.Unsubscribe("hot"u8, transient);
                _hub.UnsubscribePattern("h*"u8, transient);
            }
        });
        await Task.WhenAll([.. publishers, churn]);

        Assert.Equal(2 * 2 * PublishesPerTask, steady.Count);
        Assert.Equal(1, _hub.CountSubscribers("hot"u8));
        Assert.Equal(1, _hub.PatternCount);
    }

    private sealed class RecordingSubscriber : IChannelSubscriber
    {
        public List<string> Messages { get; } = [];

        public void Deliver(in ChannelDelivery delivery)
        {
            var text = $"{delivery.Kind} {Encoding.ASCII.GetString(delivery.Channel)} {Encoding.ASCII.GetString(delivery.Message)}";
            Messages.Add(delivery.Kind == ChannelSubscriptionKind.Pattern ? $"{text} {Encoding.ASCII.GetString(delivery.Pattern)}" : text);
        }
    }

    private sealed class CountingSubscriber : IChannelSubscriber
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Deliver(in ChannelDelivery delivery) => Interlocked.Increment(ref _count);
    }

    private sealed class ThrowingSubscriber : IChannelSubscriber
    {
        public void Deliver(in ChannelDelivery delivery) => throw new InvalidOperationException("broken subscriber");
    }
}
