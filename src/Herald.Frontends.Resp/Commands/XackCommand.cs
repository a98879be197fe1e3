using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XACK key group id [id ...] and XPENDING key group [[IDLE min-idle] start end count [consumer]]: acknowledging
/// pending entries (the reply is held until the acknowledgement is durable) and reading the pending entries list, summary or extended.
/// </summary>
internal static class XackCommand
{
    public static ValueTask Ack(RespCommandContext context)
    {
        var ids = new StreamId[context.ArgumentCount - 3];
        for (var i = 0; i < ids.Length; i++)
        {
            if (!StreamArguments.TryParseId(context, i + 3, 0, out ids[i], allowSpecial: false))
            {
                return ValueTask.CompletedTask;
            }
        }
        var acked = context.Broker.Streams.Ack(context.Argument(1), context.Argument(2).ToArray(), ids, out var durable);
        using (context.Connection.BeginReplyWhenDurable(durable, out var writer))
        {
            writer.WriteInteger(acked);
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask Pending(RespCommandContext context)
    {
        var streams = context.Broker.Streams;
        var key = context.Argument(1);
        var group = context.Argument(2).ToArray();
        if (context.ArgumentCount == 3)
        {
            var (error, summary) = streams.PendingSummary(key, group);
            if (error != StreamError.None || summary is null)
            {
                StreamArguments.ReplyError(context, StreamError.NoGroup, key, group);
                return ValueTask.CompletedTask;
            }
            using (context.BeginReply(out var writer))
            {
                writer.WriteArrayHeader(4);
                writer.WriteInteger(summary.Count);
                if (summary.Count == 0)
                {
                    writer.WriteNull();
                    writer.WriteNull();
                    writer.WriteNullArray();
                    return ValueTask.CompletedTask;
                }
                StreamArguments.WriteId(writer, summary.Smallest);
                StreamArguments.WriteId(writer, summary.Largest);
                writer.WriteArrayHeader(summary.Consumers.Count);
                foreach (var (owner, count) in summary.Consumers)
                {
                    writer.WriteArrayHeader(2);
                    writer.WriteBulkString(owner);
                    writer.WriteBulkString(count);
                }
            }
            return ValueTask.CompletedTask;
        }
        var at = 3;
        long minIdle = 0;
        if (context.ArgumentIs(3, "IDLE"u8) && context.ArgumentCount > 4)
        {
            if (!context.TryGetInteger(4, out minIdle))
            {
                return ValueTask.CompletedTask;
            }
            at = 5;
        }
        var left = context.ArgumentCount - at;
        if (left is not (3 or 4))
        {
            context.ReplyError(RespErrors.Syntax);
            return ValueTask.CompletedTask;
        }
        if (!context.TryGetInteger(at + 2, out var limit))
        {
            return ValueTask.CompletedTask;
        }
        if (!StreamArguments.TryParseRangeBound(context, at, isStart: true, out var start, out var startEmpty)
            || !StreamArguments.TryParseRangeBound(context, at + 1, isStart: false, out var end, out var endEmpty))
        {
            return ValueTask.CompletedTask;
        }
        var consumer = left == 4 ? context.Argument(at + 3).ToArray() : null;
        var (pendingError, entries) = streams.Pending(key, group, start, end, Math.Max(limit, 0), consumer, minIdle);
        if (pendingError != StreamError.None)
        {
            StreamArguments.ReplyError(context, StreamError.NoGroup, key, group);
            return ValueTask.CompletedTask;
        }
        using (context.BeginReply(out var writer))
        {
            var count = startEmpty || endEmpty ? 0 : entries.Count;
            writer.WriteArrayHeader(count);
            for (var i = 0; i < count; i++)
            {
                writer.WriteArrayHeader(4);
                StreamArguments.WriteId(writer, entries[i].Id);
                writer.WriteBulkString(entries[i].Consumer);
                writer.WriteInteger(entries[i].IdleMs);
                writer.WriteInteger(entries[i].DeliveryCount);
            }
        }
        return ValueTask.CompletedTask;
    }
}
