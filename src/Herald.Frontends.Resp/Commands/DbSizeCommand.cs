namespace Herald.Frontends.Resp.Commands;

/// <summary>DBSIZE: the number of keys. Herald's only keys will be streams, which this front end does not serve yet: 0.</summary>
internal static class DbSizeCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        context.ReplyInteger(0);
        return ValueTask.CompletedTask;
    }
}
