namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// PUBSUB CHANNELS [pattern], NUMSUB [channel ...], NUMPAT, SHARDCHANNELS [pattern], SHARDNUMSUB [channel ...] and
/// HELP, read from the broker's channel hub. NUMSUB answers a flat array of name, count pairs in both protocols, as
/// Redis does; channel lists come in byte order.
/// </summary>
internal static class PubSubCommand
{
    private static readonly string[] HelpLines =
    [
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
    ];

    public static ValueTask Channels(RespCommandContext context)
    {
        if (context.ArgumentCount > 3)
        {
            context.ReplyError(RespErrors.SubcommandSyntax(context.Request));
            return ValueTask.CompletedTask;
        }
        var pattern = context.ArgumentCount == 3 ? context.Argument(2).ToArray() : null;
        WriteNames(context, context.Broker.Channels.GetChannels(pattern));
        return ValueTask.CompletedTask;
    }

    public static ValueTask ShardChannels(RespCommandContext context)
    {
        if (context.ArgumentCount > 3)
        {
            context.ReplyError(RespErrors.SubcommandSyntax(context.Request));
            return ValueTask.CompletedTask;
        }
        var pattern = context.ArgumentCount == 3 ? context.Argument(2).ToArray() : null;
        WriteNames(context, context.Broker.Channels.GetShardChannels(pattern));
        return ValueTask.CompletedTask;
    }

    public static ValueTask NumSub(RespCommandContext context) => WriteCounts(context, shard: false);

    public static ValueTask ShardNumSub(RespCommandContext context) => WriteCounts(context, shard: true);

    public static ValueTask NumPat(RespCommandContext context)
    {
        context.ReplyInteger(context.Broker.Channels.PatternCount);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Help(RespCommandContext context)
    {
        ClientCommand.WriteHelp(context, HelpLines);
        return ValueTask.CompletedTask;
    }

    private static void WriteNames(RespCommandContext context, IReadOnlyList<byte[]> names)
    {
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader(names.Count);
            foreach (var name in names)
            {
                writer.WriteBulkString(name);
            }
        }
    }

    private static ValueTask WriteCounts(RespCommandContext context, bool shard)
    {
        var hub = context.Broker.Channels;
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader((context.ArgumentCount - 2) * 2);
            for (var i = 2; i < context.ArgumentCount; i++)
            {
                var name = context.Argument(i);
                writer.WriteBulkString(name);
                writer.WriteInteger(shard ? hub.CountShardSubscribers(name) : hub.CountSubscribers(name));
            }
        }
        return ValueTask.CompletedTask;
    }
}
