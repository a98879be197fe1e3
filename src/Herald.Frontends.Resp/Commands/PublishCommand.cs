namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// PUBLISH channel message and SPUBLISH shardchannel message: hands the message to the broker's channel hub and
/// replies with the number of receivers. Runs without the connection's output lock (a delivery to this very
/// connection takes it), and the message bytes are copied by each subscriber during the call.
/// </summary>
internal static class PublishCommand
{
    public static ValueTask Publish(RespCommandContext context)
    {
        var receivers = context.Broker.Channels.Publish(context.Argument(1), context.Argument(2));
        context.ReplyInteger(receivers);
        return ValueTask.CompletedTask;
    }

    public static ValueTask SPublish(RespCommandContext context)
    {
        var receivers = context.Broker.Channels.PublishShard(context.Argument(1), context.Argument(2));
        context.ReplyInteger(receivers);
        return ValueTask.CompletedTask;
    }
}
