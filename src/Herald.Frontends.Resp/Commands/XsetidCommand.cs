using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id].</summary>
internal static class XsetidCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        if (!StreamArguments.TryParseId(context, 2, 0, out var id, allowSpecial: false))
        {
            return ValueTask.CompletedTask;
        }
        long? entriesAdded = null;
        StreamId? maxDeleted = null;
        for (var i = 3; i < context.ArgumentCount; i++)
        {
            if (context.ArgumentIs(i, "ENTRIESADDED"u8) && i + 1 < context.ArgumentCount)
            {
                if (!context.TryGetInteger(++i, out var added))
                {
                    return ValueTask.CompletedTask;
                }
                if (added < 0)
                {
                    context.ReplyError("ERR entries_added must be positive");
                    return ValueTask.CompletedTask;
                }
                entriesAdded = added;
            }
            else if (context.ArgumentIs(i, "MAXDELETEDID"u8) && i + 1 < context.ArgumentCount)
            {
                if (!StreamArguments.TryParseId(context, ++i, 0, out var maxDeletedId, allowSpecial: false))
                {
                    return ValueTask.CompletedTask;
                }
                maxDeleted = maxDeletedId;
            }
            else
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        return SetAsync(context, context.Argument(1).ToArray(), id, entriesAdded, maxDeleted);
    }

    private static async ValueTask SetAsync(RespCommandContext context, byte[] key, StreamId id, long? entriesAdded, StreamId? maxDeleted)
    {
        var error = await context.Broker.Streams.SetIdAsync(key, id, entriesAdded, maxDeleted);
        if (error == StreamError.None)
        {
            context.ReplyOk();
        }
        else
        {
            StreamArguments.ReplyError(context, error);
        }
    }
}
