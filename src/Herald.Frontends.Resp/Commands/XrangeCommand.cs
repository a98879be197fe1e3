using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n], with <c>(</c> exclusive bounds.</summary>
internal static class XrangeCommand
{
    public static ValueTask Range(RespCommandContext context) => Execute(context, reverse: false);

    public static ValueTask RevRange(RespCommandContext context) => Execute(context, reverse: true);

    private static ValueTask Execute(RespCommandContext context, bool reverse)
    {
        var startIndex = reverse ? 3 : 2;
        var endIndex = reverse ? 2 : 3;
        if (!StreamArguments.TryParseRangeBound(context, startIndex, isStart: true, out var start, out var startEmpty)
            || !StreamArguments.TryParseRangeBound(context, endIndex, isStart: false, out var end, out var endEmpty))
        {
            return ValueTask.CompletedTask;
        }
        long count = -1;
        for (var i = 4; i < context.ArgumentCount; i++)
        {
            if (context.ArgumentIs(i, "COUNT"u8) && i + 1 < context.ArgumentCount)
            {
                if (!context.TryGetInteger(++i, out count))
                {
                    return ValueTask.CompletedTask;
                }
                count = Math.Max(count, 0);
            }
            else
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        if (count == 0)
        {
            // Redis answers COUNT 0 (and a negative count) with a null array, before looking at the key.
            using (context.BeginReply(out var nullWriter))
            {
                nullWriter.WriteNullArray();
            }
            return ValueTask.CompletedTask;
        }
        var entries = startEmpty || endEmpty ? [] : context.Broker.Streams.Range(context.Argument(1), start, end, count, reverse);
        using (context.BeginReply(out var writer))
        {
            StreamArguments.WriteEntries(writer, entries);
        }
        return ValueTask.CompletedTask;
    }
}
