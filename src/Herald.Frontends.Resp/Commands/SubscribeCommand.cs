using Herald.Broker.PubSub;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// SUBSCRIBE channel ..., PSUBSCRIBE pattern ..., SSUBSCRIBE shardchannel ...: for each argument, registers the
/// connection with the broker's channel hub (once, however often it is named) and confirms with
/// <c>[subscribe|psubscribe|ssubscribe, name, count]</c>, a RESP3 push or a RESP2 array. The count is channels plus
/// patterns, or shard channels alone for SSUBSCRIBE, as in Redis. All of it runs under the connection's output lock,
/// so no message can overtake its confirmation (see RespConnection.PubSub.cs).
/// </summary>
internal static class SubscribeCommand
{
    public static ValueTask Subscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.Channel, "subscribe"u8);

    public static ValueTask PSubscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.Pattern, "psubscribe"u8);

    public static ValueTask SSubscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.ShardChannel, "ssubscribe"u8);

    private static ValueTask Run(RespCommandContext context, ChannelSubscriptionKind kind, ReadOnlySpan<byte> confirmation)
    {
        var hub = context.Broker.Channels;
        var connection = context.Connection;
        var subscriptions = connection.Subscriptions(kind);
        using (context.BeginReply(out var writer))
        {
            for (var i = 1; i < context.ArgumentCount; i++)
            {
                var name = context.Argument(i);
                if (!subscriptions.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(name))
                {
                    subscriptions.Add(name.ToArray());
                    _ = kind switch
                    {
                        ChannelSubscriptionKind.Channel => hub.Subscribe(name, connection),
                        ChannelSubscriptionKind.Pattern => hub.SubscribePattern(name, connection),
                        _ => hub.SubscribeShard(name, connection),
                    };
                }
                writer.WritePushHeader(3);
                writer.WriteBulkString(confirmation);
                writer.WriteBulkString(name);
                writer.WriteInteger(connection.ConfirmationCount(kind));
            }
        }
        return ValueTask.CompletedTask;
    }
}
