namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// SELECT index: Herald has one database, so 0 is <c>+OK</c> and any other integer is Redis's out-of-range error
/// (what a Redis started with <c>databases 1</c> says).
/// </summary>
internal static class SelectCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        if (!context.TryGetInteger(1, out var index))
        {
            return ValueTask.CompletedTask;
        }
        if (index is < int.MinValue or > int.MaxValue)
        {
            context.ReplyError(RespErrors.NotAnInteger);
        }
        else if (index != 0)
        {
            context.ReplyError("ERR DB index is out of range");
        }
        else
        {
            context.ReplyOk();
        }
        return ValueTask.CompletedTask;
    }
}
