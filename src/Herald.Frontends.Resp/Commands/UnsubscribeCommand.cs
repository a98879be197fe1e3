using Herald.Broker.PubSub;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// UNSUBSCRIBE [channel ...], PUNSUBSCRIBE [pattern ...], SUNSUBSCRIBE [shardchannel ...]: leaves the named
/// subscriptions, or all of the kind when none is named, confirming each with
/// <c>[unsubscribe|punsubscribe|sunsubscribe, name, count]</c>; with nothing to leave, one confirmation with a null
/// name, as in Redis. Runs under the connection's output lock, so no message of a channel follows its confirmation.
/// </summary>
internal static class UnsubscribeCommand
{
    public static ValueTask Unsubscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.Channel, "unsubscribe"u8);

    public static ValueTask PUnsubscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.Pattern, "punsubscribe"u8);

    public static ValueTask SUnsubscribe(RespCommandContext context) => Run(context, ChannelSubscriptionKind.ShardChannel, "sunsubscribe"u8);

    private static ValueTask Run(RespCommandContext context, ChannelSubscriptionKind kind, ReadOnlySpan<byte> confirmation)
    {
        var hub = context.Broker.Channels;
        var connection = context.Connection;
        var subscriptions = connection.Subscriptions(kind);
        using (context.BeginReply(out var writer))
        {
            if (context.ArgumentCount == 1)
            {
                if (subscriptions.Count == 0)
                {
                    writer.WritePushHeader(3);
                    writer.WriteBulkString(confirmation);
                    writer.WriteNull();
                    writer.WriteInteger(connection.ConfirmationCount(kind));
                    return ValueTask.CompletedTask;
                }
                foreach (var name in subscriptions.ToArray())
                {
                    Leave(hub, connection, kind, subscriptions, name);
                    WriteConfirmation(writer, confirmation, name, connection.ConfirmationCount(kind));
                }
                return ValueTask.CompletedTask;
            }
            for (var i = 1; i < context.ArgumentCount; i++)
            {
                var name = context.Argument(i);
                if (subscriptions.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var stored))
                {
                    Leave(hub, connection, kind, subscriptions, stored);
                }
                WriteConfirmation(writer, confirmation, name, connection.ConfirmationCount(kind));
            }
        }
        return ValueTask.CompletedTask;
    }

    private static void Leave(
        ChannelHub hub, IChannelSubscriber connection, ChannelSubscriptionKind kind, HashSet<byte[]> subscriptions, byte[] name)
    {
        subscriptions.Remove(name);
        _ = kind switch
        {
            ChannelSubscriptionKind.Channel => hub.Unsubscribe(name, connection),
            ChannelSubscriptionKind.Pattern => hub.UnsubscribePattern(name, connection),
            _ => hub.UnsubscribeShard(name, connection),
        };
    }

    private static void WriteConfirmation(Herald.Protocols.Resp.RespWriter writer, ReadOnlySpan<byte> confirmation, ReadOnlySpan<byte> name, int count)
    {
        writer.WritePushHeader(3);
        writer.WriteBulkString(confirmation);
        writer.WriteBulkString(name);
        writer.WriteInteger(count);
    }
}
