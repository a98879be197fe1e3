using Herald.Protocols.Resp;
using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XCLAIM key group consumer min-idle-time id... [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
/// and XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]: moving pending entries to another
/// consumer (failover), durable before the reply.
/// </summary>
internal static class XclaimCommand
{
    public static ValueTask Claim(RespCommandContext context)
    {
        var key = context.Argument(1);
        var group = context.Argument(2).ToArray();
        if (!context.Broker.Streams.HasGroup(key, group))
        {
            StreamArguments.ReplyError(context, StreamError.NoGroup, key, group);
            return ValueTask.CompletedTask;
        }
        if (!context.TryGetInteger(4, out var minIdle, "ERR Invalid min-idle-time argument for XCLAIM"))
        {
            return ValueTask.CompletedTask;
        }
        var ids = new List<StreamId>();
        var j = 5;
        for (; j < context.ArgumentCount && StreamId.TryParse(context.Argument(j), out var id, out var hasSeq); j++)
        {
            ids.Add(hasSeq ? id : new StreamId(id.Ms, 0));
        }
        var now = context.Broker.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        long deliveryTime = -1;
        long? retryCount = null;
        bool force = false, justId = false;
        StreamId? lastId = null;
        for (; j < context.ArgumentCount; j++)
        {
            var more = context.ArgumentCount - 1 - j;
            if (context.ArgumentIs(j, "FORCE"u8))
            {
                force = true;
            }
            else if (context.ArgumentIs(j, "JUSTID"u8))
            {
                justId = true;
            }
            else if (context.ArgumentIs(j, "IDLE"u8) && more > 0)
            {
                if (!context.TryGetInteger(++j, out var idle, "ERR Invalid IDLE option argument for XCLAIM"))
                {
                    return ValueTask.CompletedTask;
                }
                deliveryTime = now - idle;
            }
            else if (context.ArgumentIs(j, "TIME"u8) && more > 0)
            {
                if (!context.TryGetInteger(++j, out deliveryTime, "ERR Invalid TIME option argument for XCLAIM"))
                {
                    return ValueTask.CompletedTask;
                }
            }
            else if (context.ArgumentIs(j, "RETRYCOUNT"u8) && more > 0)
            {
                if (!context.TryGetInteger(++j, out var retries, "ERR Invalid RETRYCOUNT option argument for XCLAIM"))
                {
                    return ValueTask.CompletedTask;
                }
                retryCount = retries;
            }
            else if (context.ArgumentIs(j, "LASTID"u8) && more > 0)
            {
                if (!StreamArguments.TryParseId(context, ++j, 0, out var last, allowSpecial: false))
                {
                    return ValueTask.CompletedTask;
                }
                lastId = last;
            }
            else
            {
                context.ReplyError($"ERR Unrecognized XCLAIM option '{RespErrors.Quote(context.Argument(j), int.MaxValue)}'");
                return ValueTask.CompletedTask;
            }
        }
        if (deliveryTime < 0 || deliveryTime > now)
        {
            deliveryTime = now;
        }
        var request = new StreamClaimRequest(group, context.Argument(3).ToArray(), Math.Max(minIdle, 0), ids, null, deliveryTime,
            retryCount, force, justId, lastId);
        return ClaimAsync(context, key.ToArray(), request);
    }

    private static async ValueTask ClaimAsync(RespCommandContext context, byte[] key, StreamClaimRequest request)
    {
        var result = await context.Broker.Streams.ClaimAsync(key, request);
        if (result.Error != StreamError.None)
        {
            StreamArguments.ReplyError(context, result.Error, key, request.Group);
            return;
        }
        using (context.BeginReply(out var writer))
        {
            WriteClaimed(writer, result.Claimed, request.JustId);
        }
    }

    public static ValueTask AutoClaim(RespCommandContext context)
    {
        var key = context.Argument(1);
        var group = context.Argument(2).ToArray();
        if (!context.Broker.Streams.HasGroup(key, group))
        {
            StreamArguments.ReplyError(context, StreamError.NoGroup, key, group);
            return ValueTask.CompletedTask;
        }
        if (!context.TryGetInteger(4, out var minIdle, "ERR Invalid min-idle-time argument for XAUTOCLAIM"))
        {
            return ValueTask.CompletedTask;
        }
        if (!StreamArguments.TryParseRangeBound(context, 5, isStart: true, out var start, out _))
        {
            return ValueTask.CompletedTask;
        }
        long count = 100;
        var justId = false;
        for (var j = 6; j < context.ArgumentCount; j++)
        {
            if (context.ArgumentIs(j, "COUNT"u8) && j + 1 < context.ArgumentCount)
            {
                if (!RespInteger.TryParse(context.Argument(++j), out count) || count < 1 || count > long.MaxValue / 10)
                {
                    context.ReplyError("ERR COUNT must be > 0");
                    return ValueTask.CompletedTask;
                }
            }
            else if (context.ArgumentIs(j, "JUSTID"u8))
            {
                justId = true;
            }
            else
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        return AutoClaimAsync(context, key.ToArray(), group, context.Argument(3).ToArray(), Math.Max(minIdle, 0), start, count, justId);
    }

    private static async ValueTask AutoClaimAsync(RespCommandContext context, byte[] key, byte[] group, byte[] consumer, long minIdle,
        StreamId start, long count, bool justId)
    {
        var result = await context.Broker.Streams.AutoClaimAsync(key, group, consumer, minIdle, start, count, justId);
        if (result.Error != StreamError.None)
        {
            StreamArguments.ReplyError(context, result.Error, key, group);
            return;
        }
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader(3);
            StreamArguments.WriteId(writer, result.NextCursor);
            WriteClaimed(writer, result.Claimed, justId);
            writer.WriteArrayHeader(result.DeletedIds.Count);
            foreach (var id in result.DeletedIds)
            {
                StreamArguments.WriteId(writer, id);
            }
        }
    }

    private static void WriteClaimed(RespWriter writer, List<StreamEntry> claimed, bool justId)
    {
        if (!justId)
        {
            StreamArguments.WriteEntries(writer, claimed);
            return;
        }
        writer.WriteArrayHeader(claimed.Count);
        foreach (var entry in claimed)
        {
            StreamArguments.WriteId(writer, entry.Id);
        }
    }
}
