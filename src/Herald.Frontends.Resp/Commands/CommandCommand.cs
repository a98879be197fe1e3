namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// COMMAND, COMMAND COUNT, COMMAND INFO [name ...], COMMAND DOCS [name ...] and COMMAND HELP over the commands
/// Herald implements, from the generated catalog; each command's reply is encoded once and cached
/// (<see cref="RespCommandEntry.EncodedInfo"/>). Names may be <c>container|subcommand</c>, as in Redis; unknown names
/// are null in INFO and left out of DOCS.
/// </summary>
internal static class CommandCommand
{
    private static readonly string[] HelpLines =
    [
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
    ];

    public static ValueTask All(RespCommandContext context)
    {
        WriteAllInfo(context);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Count(RespCommandContext context)
    {
        context.ReplyInteger(context.Frontend.Commands.Commands.Count);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Info(RespCommandContext context)
    {
        if (context.ArgumentCount == 2)
        {
            WriteAllInfo(context);
            return ValueTask.CompletedTask;
        }
        var table = context.Frontend.Commands;
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader(context.ArgumentCount - 2);
            for (var i = 2; i < context.ArgumentCount; i++)
            {
                if (table.FindByFullName(context.Argument(i)) is { } entry)
                {
                    writer.WriteRaw(entry.EncodedInfo(writer.IsResp3));
                }
                else
                {
                    // Redis's addReplyNull: $-1 in RESP2, even inside this array.
                    writer.WriteNull();
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask Docs(RespCommandContext context)
    {
        var table = context.Frontend.Commands;
        var entries = new List<RespCommandEntry>();
        if (context.ArgumentCount == 2)
        {
            entries.AddRange(table.Commands);
        }
        else
        {
            for (var i = 2; i < context.ArgumentCount; i++)
            {
                if (table.FindByFullName(context.Argument(i)) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }
        using (context.BeginReply(out var writer))
        {
            writer.WriteMapHeader(entries.Count);
            foreach (var entry in entries)
            {
                writer.WriteBulkString(entry.Spec.Name);
                writer.WriteRaw(entry.EncodedDocs(writer.IsResp3));
            }
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask Help(RespCommandContext context)
    {
        ClientCommand.WriteHelp(context, HelpLines);
        return ValueTask.CompletedTask;
    }

    private static void WriteAllInfo(RespCommandContext context)
    {
        var commands = context.Frontend.Commands.Commands;
        using (context.BeginReply(out var writer))
        {
            writer.WriteArrayHeader(commands.Count);
            foreach (var entry in commands)
            {
                writer.WriteRaw(entry.EncodedInfo(writer.IsResp3));
            }
        }
    }
}
