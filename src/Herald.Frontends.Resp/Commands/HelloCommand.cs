using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// HELLO [protover [AUTH username password] [SETNAME clientname]]: switches the connection to RESP2 or RESP3,
/// optionally authenticating and naming it in the same round trip, and replies with the server's identity as a map
/// (in the new protocol): server, version, proto, id, mode, role, modules, exactly as Redis 7 lays it out, since
/// clients parse it. The server is reported as <c>redis</c> at <see cref="RespFrontendOptions.RedisVersion"/>,
/// because clients decide which features to use from these two fields; Herald's own version is in INFO server
/// (<c>herald_version</c>).
/// </summary>
internal static class HelloCommand
{
    public static ValueTask Execute(RespCommandContext context)
    {
        long version = 0;
        var next = 1;
        if (context.ArgumentCount >= 2)
        {
            if (!context.TryGetInteger(next++, out version, "ERR Protocol version is not an integer or out of range"))
            {
                return ValueTask.CompletedTask;
            }
            if (version is < 2 or > 3)
            {
                context.ReplyError("NOPROTO unsupported protocol version");
                return ValueTask.CompletedTask;
            }
        }

        var authenticate = -1;
        var setName = -1;
        for (var i = next; i < context.ArgumentCount; i++)
        {
            var more = context.ArgumentCount - 1 - i;
            if (context.ArgumentIs(i, "AUTH"u8) && more >= 2)
            {
                authenticate = i + 1;
                i += 2;
            }
            else if (context.ArgumentIs(i, "SETNAME"u8) && more >= 1)
            {
                if (!ClientCommand.IsValidName(context.Argument(i + 1)))
                {
                    context.ReplyError(ClientCommand.InvalidName);
                    return ValueTask.CompletedTask;
                }
                setName = i + 1;
                i++;
            }
            else
            {
                context.ReplyError($"ERR Syntax error in HELLO option '{RespErrors.Quote(context.Argument(i), int.MaxValue)}'");
                return ValueTask.CompletedTask;
            }
        }

        if (authenticate > 0 && !AuthCommand.TryAuthenticate(context.Argument(authenticate), context.Argument(authenticate + 1)))
        {
            context.ReplyError(AuthCommand.WrongPassword);
            return ValueTask.CompletedTask;
        }
        var connection = context.Connection;
        if (setName > 0)
        {
            connection.Name = context.Argument(setName).IsEmpty ? null : context.Argument(setName).ToArray();
        }
        if (version != 0)
        {
            connection.Protocol = (RespVersion)version;
        }

        using (context.BeginReply(out var writer))
        {
            writer.WriteMapHeader(7);
            writer.WriteBulkString("server"u8);
            writer.WriteBulkString("redis"u8);
            writer.WriteBulkString("version"u8);
            writer.WriteBulkString(context.Frontend.Options.RedisVersion);
            writer.WriteBulkString("proto"u8);
            writer.WriteInteger((int)connection.Protocol);
            writer.WriteBulkString("id"u8);
            writer.WriteInteger(connection.Id);
            writer.WriteBulkString("mode"u8);
            writer.WriteBulkString("standalone"u8);
            writer.WriteBulkString("role"u8);
            writer.WriteBulkString("master"u8);
            writer.WriteBulkString("modules"u8);
            writer.WriteArrayHeader(0);
        }
        return ValueTask.CompletedTask;
    }
}
