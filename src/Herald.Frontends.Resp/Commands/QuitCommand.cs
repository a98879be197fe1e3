namespace Herald.Frontends.Resp.Commands;

/// <summary>QUIT: <c>+OK</c>, then the connection closes; commands pipelined after it are not run (Redis 7).</summary>
internal static class QuitCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        context.ReplyOk();
        context.Connection.CloseAfterReply();
        return ValueTask.CompletedTask;
    }
}
