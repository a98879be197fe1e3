using System.Globalization;
using System.Text;
using Herald.Frontends.Resp.Connections;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// CLIENT ID, GETNAME, SETNAME, SETINFO, INFO, LIST, KILL and HELP, with Redis's replies and errors
/// (<c>clientCommand</c> in <c>networking.c</c>). CLIENT LIST and CLIENT INFO print Redis's fields in Redis's
/// order; fields Herald has no counterpart for (multi, watch, qbuf-free, rbp...) print Redis's idle values, so
/// parsers that split on spaces and '=' keep working.
/// </summary>
internal static class ClientCommand
{
    public const string InvalidName = "ERR Client names cannot contain spaces, newlines or special characters.";

    private static readonly string[] HelpLines =
    [
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
    ];

    /// <summary>Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them.</summary>
    private enum ClientType
    {
        Normal,
        Replica,
        PubSub,
        Master,
    }

    public static ValueTask Id(RespCommandContext context)
    {
        context.ReplyInteger(context.Connection.Id);
        return ValueTask.CompletedTask;
    }

    public static ValueTask GetName(RespCommandContext context)
    {
        if (context.Connection.Name is { } name)
        {
            context.ReplyBulk(name);
        }
        else
        {
            context.ReplyNull();
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask SetName(RespCommandContext context)
    {
        var name = context.Argument(2);
        if (!IsValidName(name))
        {
            context.ReplyError(InvalidName);
            return ValueTask.CompletedTask;
        }
        // An empty name removes the name, as in Redis.
        context.Connection.Name = name.IsEmpty ? null : name.ToArray();
        context.ReplyOk();
        return ValueTask.CompletedTask;
    }

    /// <summary>CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2): what redis-py and node-redis send on connect.</summary>
    public static ValueTask SetInfo(RespCommandContext context)
    {
        var attribute = context.Argument(2);
        var value = context.Argument(3);
        var isName = context.ArgumentIs(2, "lib-name"u8);
        if (!isName && !context.ArgumentIs(2, "lib-ver"u8))
        {
            context.ReplyError($"ERR Unrecognized option '{RespErrors.Quote(attribute, int.MaxValue)}'");
            return ValueTask.CompletedTask;
        }
        if (!IsValidName(value))
        {
            context.ReplyError($"ERR {RespErrors.Quote(attribute, int.MaxValue)} cannot contain spaces, newlines or special characters.");
            return ValueTask.CompletedTask;
        }
        var stored = value.IsEmpty ? null : value.ToArray();
        if (isName)
        {
            context.Connection.LibraryName = stored;
        }
        else
        {
            context.Connection.LibraryVersion = stored;
        }
        context.ReplyOk();
        return ValueTask.CompletedTask;
    }

    public static ValueTask Info(RespCommandContext context)
    {
        var text = Describe(context.Connection, context.Frontend) + "\n";
        WriteVerbatim(context, text);
        return ValueTask.CompletedTask;
    }

    /// <summary>CLIENT LIST [TYPE type | ID id [id ...]].</summary>
    public static ValueTask List(RespCommandContext context)
    {
        var frontend = context.Frontend;
        var text = new StringBuilder();
        if (context.ArgumentCount == 4 && context.ArgumentIs(2, "type"u8))
        {
            if (ParseType(context.Argument(3)) is not { } type)
            {
                context.ReplyError($"ERR Unknown client type '{RespErrors.Quote(context.Argument(3), int.MaxValue)}'");
                return ValueTask.CompletedTask;
            }
            foreach (var connection in frontend.ConnectionsById())
            {
                if (TypeOf(connection) == type)
                {
                    text.Append(Describe(connection, frontend)).Append('\n');
                }
            }
        }
        else if (context.ArgumentCount > 3 && context.ArgumentIs(2, "id"u8))
        {
            for (var i = 3; i < context.ArgumentCount; i++)
            {
                if (!context.TryGetInteger(i, out var id, "ERR Invalid client ID"))
                {
                    return ValueTask.CompletedTask;
                }
                if (frontend.FindConnection(id) is { } connection)
                {
                    text.Append(Describe(connection, frontend)).Append('\n');
                }
            }
        }
        else if (context.ArgumentCount != 2)
        {
            context.ReplyError(RespErrors.Syntax);
            return ValueTask.CompletedTask;
        }
        else
        {
            foreach (var connection in frontend.ConnectionsById())
            {
                text.Append(Describe(connection, frontend)).Append('\n');
            }
        }
        WriteVerbatim(context, text.ToString());
        return ValueTask.CompletedTask;
    }

    /// <summary>CLIENT KILL addr (old form: +OK or an error) or CLIENT KILL option value ... (new form: the count killed).</summary>
    public static ValueTask Kill(RespCommandContext context)
    {
        string? address = null;
        string? localAddress = null;
        ClientType? type = null;
        long id = 0;
        long maxAge = 0;
        var skipMe = true;
        var oldForm = context.ArgumentCount == 3;

        if (oldForm)
        {
            address = RespErrors.Quote(context.Argument(2), int.MaxValue);
            skipMe = false;
        }
        else
        {
            for (var i = 2; i < context.ArgumentCount; i += 2)
            {
                var hasValue = i + 1 < context.ArgumentCount;
                if (context.ArgumentIs(i, "id"u8) && hasValue)
                {
                    if (!context.TryGetInteger(i + 1, out id, "ERR client-id should be greater than 0"))
                    {
                        return ValueTask.CompletedTask;
                    }
                    if (id < 1)
                    {
                        context.ReplyError("ERR client-id should be greater than 0");
                        return ValueTask.CompletedTask;
                    }
                }
                else if (context.ArgumentIs(i, "maxage"u8) && hasValue)
                {
                    if (!context.TryGetInteger(i + 1, out maxAge, "ERR maxage is not an integer or out of range"))
                    {
                        return ValueTask.CompletedTask;
                    }
                    if (maxAge <= 0)
                    {
                        context.ReplyError("ERR maxage should be greater than 0");
                        return ValueTask.CompletedTask;
                    }
                }
                else if (context.ArgumentIs(i, "type"u8) && hasValue)
                {
                    type = ParseType(context.Argument(i + 1));
                    if (type is null)
                    {
                        context.ReplyError($"ERR Unknown client type '{RespErrors.Quote(context.Argument(i + 1), int.MaxValue)}'");
                        return ValueTask.CompletedTask;
                    }
                }
                else if (context.ArgumentIs(i, "addr"u8) && hasValue)
                {
                    address = RespErrors.Quote(context.Argument(i + 1), int.MaxValue);
                }
                else if (context.ArgumentIs(i, "laddr"u8) && hasValue)
                {
                    localAddress = RespErrors.Quote(context.Argument(i + 1), int.MaxValue);
                }
                else if (context.ArgumentIs(i, "user"u8) && hasValue)
                {
                    if (!context.Argument(i + 1).SequenceEqual("default"u8))
                    {
                        context.ReplyError($"ERR No such user '{RespErrors.Quote(context.Argument(i + 1), int.MaxValue)}'");
                        return ValueTask.CompletedTask;
                    }
                }
                else if (context.ArgumentIs(i, "skipme"u8) && hasValue && (context.ArgumentIs(i + 1, "yes"u8) || context.ArgumentIs(i + 1, "no"u8)))
                {
                    skipMe = context.ArgumentIs(i + 1, "yes"u8);
                }
                else
                {
                    context.ReplyError(RespErrors.Syntax);
                    return ValueTask.CompletedTask;
                }
            }
        }

        var self = context.Connection;
        var now = context.Frontend.Clock.GetUtcNow();
        var killed = 0;
        var killSelf = false;
        foreach (var connection in context.Frontend.ConnectionsById())
        {
            if ((address is not null && connection.RemoteAddress != address)
                || (localAddress is not null && connection.LocalAddress != localAddress)
                || (type is not null && TypeOf(connection) != type)
                || (id != 0 && connection.Id != id)
                || (connection == self && skipMe)
                || (maxAge != 0 && (now - connection.CreatedAt).TotalSeconds < maxAge))
            {
                continue;
            }
            if (connection == self)
            {
                killSelf = true;
            }
            else
            {
                connection.Kill("CLIENT KILL");
            }
            killed++;
        }

        if (oldForm)
        {
            if (killed == 0)
            {
                context.ReplyError("ERR No such client");
            }
            else
            {
                context.ReplyOk();
            }
        }
        else
        {
            context.ReplyInteger(killed);
        }
        if (killSelf)
        {
            // Redis closes the killer itself only after its reply is queued.
            self.CloseAfterReply();
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask Help(RespCommandContext context)
    {
        WriteHelp(context, HelpLines);
        return ValueTask.CompletedTask;
    }

    /// <summary>Redis's addReplyHelp: a header naming the command, the lines, and the HELP footer, as status replies.</summary>
    public static void WriteHelp(RespCommandContext context, string[] lines)
    {
        var command = RespErrors.AsciiUpper(RespErrors.Quote(context.Argument(0), int.MaxValue));
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader(lines.Length + 3);
            writer.WriteSimpleString($"{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
            foreach (var line in lines)
            {
                writer.WriteSimpleString(line);
            }
            writer.WriteSimpleString("HELP"u8);
            writer.WriteSimpleString("    Print this help."u8);
        }
    }

    /// <summary>Redis's validateClientAttr: printable ASCII without spaces ('!' to '~'); empty is allowed.</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name) =>
        name.IndexOfAnyExceptInRange((byte)'!', (byte)'~') < 0;

    /// <summary>One CLIENT LIST line, without its newline (Redis's catClientInfoString).</summary>
    internal static string Describe(RespConnection connection, RespFrontend frontend)
    {
        var now = frontend.Clock.GetUtcNow();
        var age = (long)(now - connection.CreatedAt).TotalSeconds;
        var idle = (long)(now - connection.LastInteraction).TotalSeconds;
        var subscribed = connection.InSubscribedMode;
        var outputBytes = connection.BufferedOutputBytes;
        var pending = connection.PendingRequestBytes;
        var line = new StringBuilder(256);
        line.Append(CultureInfo.InvariantCulture, $"id={connection.Id} addr={connection.RemoteAddress} laddr={connection.LocalAddress}");
        line.Append(CultureInfo.InvariantCulture, $" fd={connection.FileDescriptor} name={Text(connection.Name)} age={age} idle={idle}");
        line.Append(CultureInfo.InvariantCulture, $" flags={(subscribed ? "P" : "N")} db=0 sub={connection.ChannelSubscriptionCount}");
        line.Append(CultureInfo.InvariantCulture, $" psub={connection.PatternSubscriptionCount} ssub={connection.ShardSubscriptionCount}");
        line.Append(CultureInfo.InvariantCulture, $" multi=-1 watch=0 qbuf={pending} qbuf-free=0 argv-mem={pending} multi-mem=0");
        line.Append(CultureInfo.InvariantCulture, $" rbs={RespOutputBuffer.SegmentBytes} rbp=0 obl=0 oll={connection.BufferedOutputSegments}");
        line.Append(CultureInfo.InvariantCulture, $" omem={outputBytes} tot-mem={outputBytes + pending} events=r cmd={connection.LastCommand}");
        line.Append(CultureInfo.InvariantCulture, $" user=default redir=-1 resp={(int)connection.Protocol}");
        line.Append(CultureInfo.InvariantCulture, $" lib-name={Text(connection.LibraryName)} lib-ver={Text(connection.LibraryVersion)}");
        return line.ToString();
    }

    private static void WriteVerbatim(RespCommandContext context, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        using (context.BeginReply(out var writer))
        {
            writer.WriteVerbatimString(bytes, "txt"u8);
        }
    }

    private static ClientType? ParseType(ReadOnlySpan<byte> name) =>
        System.Text.Ascii.EqualsIgnoreCase(name, "normal"u8) ? ClientType.Normal
        : System.Text.Ascii.EqualsIgnoreCase(name, "slave"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "replica"u8) ? ClientType.Replica
        : System.Text.Ascii.EqualsIgnoreCase(name, "pubsub"u8) ? ClientType.PubSub
        : System.Text.Ascii.EqualsIgnoreCase(name, "master"u8) ? ClientType.Master
        : null;

    /// <summary>Redis's getClientType for the clients Herald has: pub/sub while subscribed, normal otherwise.</summary>
    private static ClientType TypeOf(RespConnection connection) =>
        connection.InSubscribedMode ? ClientType.PubSub : ClientType.Normal;

    private static string Text(byte[]? value) => value is null ? "" : Encoding.Latin1.GetString(value);
}
