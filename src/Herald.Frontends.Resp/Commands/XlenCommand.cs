namespace Herald.Frontends.Resp.Commands;

/// <summary>XLEN key: live entries, 0 for a missing key.</summary>
internal static class XlenCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        context.ReplyInteger(context.Broker.Streams.Length(context.Argument(1)));
        return ValueTask.CompletedTask;
    }
}
