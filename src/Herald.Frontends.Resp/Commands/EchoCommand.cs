namespace Herald.Frontends.Resp.Commands;

/// <summary>ECHO message: the message as a bulk string.</summary>
internal static class EchoCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        context.ReplyBulk(context.Argument(1));
        return ValueTask.CompletedTask;
    }
}
