namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// PING [message]: <c>+PONG</c> or the message as a bulk string. A RESP2 connection in subscribed mode gets the
/// array <c>["pong", message or ""]</c> instead, as in Redis, so subscriber libraries can tell it from a message.
/// </summary>
internal static class PingCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        if (context.ArgumentCount > 2)
        {
            context.ReplyError(RespErrors.WrongArity("ping"));
            return ValueTask.CompletedTask;
        }
        using (context.BeginReply(out var writer))
        {
            if (context.Connection.InSubscribedMode && !context.Connection.IsResp3)
            {
                writer.WriteArrayHeader(2);
                writer.WriteBulkString("pong"u8);
                writer.WriteBulkString(context.ArgumentCount == 2 ? context.Argument(1) : default);
            }
            else if (context.ArgumentCount == 2)
            {
                writer.WriteBulkString(context.Argument(1));
            }
            else
            {
                writer.WriteSimpleString("PONG"u8);
            }
        }
        return ValueTask.CompletedTask;
    }
}
