using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// RESET: back to a fresh connection's state as Redis's <c>clearClientConnectionState</c> does: every subscription
/// dropped without notifications, RESP2, no name, database 0, the default user. The library name and version stay,
/// as in Redis. Replies <c>+RESET</c>.
/// </summary>
internal static class ResetCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        var connection = context.Connection;
        connection.LeaveAllChannels();
        connection.Protocol = RespVersion.Resp2;
        connection.Name = null;
        context.ReplySimple("RESET"u8);
        return ValueTask.CompletedTask;
    }
}
