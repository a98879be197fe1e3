using Herald.Broker.PubSub;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Resp.Connections;

/// <summary>
/// The connection as a channel subscriber. Its subscription sets change only under the output lock, in the same
/// critical section that writes the (un)subscribe confirmation, and <see cref="Deliver"/> checks them under that
/// lock: so a message never reaches the client before the confirmation of its subscription, nor after the
/// confirmation of its unsubscription, even though publishers run on other threads.
/// <para>
/// Deliveries are bounded as Redis bounds pub/sub clients (<c>client-output-buffer-limit pubsub 32mb 8mb 60</c>): a
/// message that would take the unsent output past the hard limit, or output that stays over the soft limit for the
/// soft duration, disconnects the subscriber instead of blocking the publisher or growing memory.
/// </para>
/// </summary>
internal sealed partial class RespConnection : IChannelSubscriber
{
    private readonly HashSet<byte[]> _channels = new(ByteStringComparer.Ordinal);
    private readonly HashSet<byte[]> _patterns = new(ByteStringComparer.Ordinal);
    private readonly HashSet<byte[]> _shardChannels = new(ByteStringComparer.Ordinal);
    private long _softLimitSinceTicks;

    /// <summary>Channels plus patterns: the count SUBSCRIBE and PSUBSCRIBE confirmations carry.</summary>
    public int SubscriptionCount => _channels.Count + _patterns.Count;

    public int ChannelSubscriptionCount => _channels.Count;

    public int PatternSubscriptionCount => _patterns.Count;

    public int ShardSubscriptionCount => _shardChannels.Count;

    /// <summary>Redis's CLIENT_PUBSUB flag: any subscription of any kind. RESP2 then restricts the commands.</summary>
    public bool InSubscribedMode => _channels.Count + _patterns.Count + _shardChannels.Count > 0;

    /// <summary>The subscription set of a kind. Change it only under the output lock (see the summary).</summary>
    public HashSet<byte[]> Subscriptions(ChannelSubscriptionKind kind) => kind switch
    {
        ChannelSubscriptionKind.Channel => _channels,
        ChannelSubscriptionKind.Pattern => _patterns,
        _ => _shardChannels,
    };

    /// <summary>The confirmation count Redis sends for a kind: shard subscriptions are counted apart.</summary>
    public int ConfirmationCount(ChannelSubscriptionKind kind) =>
        kind == ChannelSubscriptionKind.ShardChannel ? _shardChannels.Count : SubscriptionCount;

    public void Deliver(in ChannelDelivery delivery)
    {
        var key = delivery.Kind == ChannelSubscriptionKind.Pattern ? delivery.Pattern : delivery.Channel;
        var options = _frontend.Options;
        string? overLimit = null;
        lock (_outputGate)
        {
            if (_aborted || _outputCompleted || !Subscriptions(delivery.Kind).GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key))
            {
                return;
            }

            var size = delivery.Channel.Length + delivery.Pattern.Length + delivery.Message.Length + 64;
            var buffered = _output.BufferedBytes + size;
            if (buffered > options.PubSubOutputHardLimitBytes)
            {
                overLimit = "hard";
            }
            else if (buffered > options.PubSubOutputSoftLimitBytes)
            {
                var now = _frontend.Clock.GetUtcNow().UtcTicks;
                if (_softLimitSinceTicks == 0)
                {
                    _softLimitSinceTicks = now;
                }
                else if (now - _softLimitSinceTicks > options.PubSubOutputSoftLimitDuration.Ticks)
                {
                    overLimit = "soft";
                }
            }
            else
            {
                _softLimitSinceTicks = 0;
            }

            if (overLimit is null)
            {
                WriteMessage(delivery);
                WakeWriterLocked();
                return;
            }
        }

        _frontend.Statistics.OutputLimitDisconnection();
        _frontend.Logger.LogWarning(
            "RESP client id={Id} addr={Address} closed for overcoming its pub/sub output buffer {Limit} limit ({Bytes} bytes unsent)",
            Id, RemoteAddress, overLimit, BufferedOutputBytes);
        Kill("pub/sub output buffer limit");
    }

    /// <summary>Leaves every channel and pattern without a word to the client (RESET, disconnect).</summary>
    public void LeaveAllChannels()
    {
        var channels = _frontend.Broker.Channels;
        lock (_outputGate)
        {
            foreach (var channel in _channels)
            {
                channels.Unsubscribe(channel, this);
            }
            foreach (var pattern in _patterns)
            {
                channels.UnsubscribePattern(pattern, this);
            }
            foreach (var channel in _shardChannels)
            {
                channels.UnsubscribeShard(channel, this);
            }
            _channels.Clear();
            _patterns.Clear();
            _shardChannels.Clear();
        }
    }

    /// <summary>message / pmessage / smessage, as a RESP3 push or a RESP2 array.</summary>
    private void WriteMessage(in ChannelDelivery delivery)
    {
        switch (delivery.Kind)
        {
            case ChannelSubscriptionKind.Pattern:
                _writer.WritePushHeader(4);
                _writer.WriteBulkString("pmessage"u8);
                _writer.WriteBulkString(delivery.Pattern);
                break;
            case ChannelSubscriptionKind.ShardChannel:
                _writer.WritePushHeader(3);
                _writer.WriteBulkString("smessage"u8);
                break;
            default:
                _writer.WritePushHeader(3);
                _writer.WriteBulkString("message"u8);
                break;
        }
        _writer.WriteBulkString(delivery.Channel);
        _writer.WriteBulkString(delivery.Message);
    }
}
