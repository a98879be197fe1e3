using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>XDEL key id [id ...]: how many entries were deleted; every ID is checked before anything is deleted.</summary>
internal static class XdelCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        var ids = new StreamId[context.ArgumentCount - 2];
        for (var i = 0; i < ids.Length; i++)
        {
            if (!StreamArguments.TryParseId(context, i + 2, 0, out ids[i], allowSpecial: false))
            {
                return ValueTask.CompletedTask;
            }
        }
        return DeleteAsync(context, context.Argument(1).ToArray(), ids);
    }

    private static async ValueTask DeleteAsync(RespCommandContext context, byte[] key, StreamId[] ids) =>
        context.ReplyInteger(await context.Broker.Streams.DeleteEntriesAsync(key, ids));
}
