using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XGROUP CREATE/CREATECONSUMER/DELCONSUMER/DESTROY/SETID/HELP, with Redis's checks in its order (xgroupCommand):
/// options, the key must exist (unless MKSTREAM), the group must exist for SETID and the consumer subcommands.
/// </summary>
internal static class XgroupCommand
{
    private const string KeyMustExist =
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

    private static readonly string[] HelpLines =
    [
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
    ];

    public static ValueTask Help(RespCommandContext context)
    {
        ClientCommand.WriteHelp(context, HelpLines);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Create(RespCommandContext context)
    {
        if (!TryParseOptions(context, allowMkStream: true, out var mkStream, out var entriesRead)
            || !CheckKeyAndGroup(context, mkStream, groupMustExist: false)
            || !TryParsePosition(context, out var position))
        {
            return ValueTask.CompletedTask;
        }
        return CreateAsync(context, context.Argument(2).ToArray(), context.Argument(3).ToArray(), position, mkStream, entriesRead);
    }

    private static async ValueTask CreateAsync(RespCommandContext context, byte[] key, byte[] group, StreamGroupPosition position, bool mkStream, long? entriesRead)
    {
        var error = await context.Broker.Streams.CreateGroupAsync(key, group, position, mkStream, entriesRead);
        Reply(context, error, key, group);
    }

    public static ValueTask SetId(RespCommandContext context)
    {
        if (context.ArgumentCount is not (5 or 7))
        {
            context.ReplyError(RespErrors.SubcommandSyntax(context.Request));
            return ValueTask.CompletedTask;
        }
        if (!TryParseOptions(context, allowMkStream: false, out _, out var entriesRead)
            || !CheckKeyAndGroup(context, mkStream: false, groupMustExist: true)
            || !TryParsePosition(context, out var position))
        {
            return ValueTask.CompletedTask;
        }
        return SetIdAsync(context, context.Argument(2).ToArray(), context.Argument(3).ToArray(), position, entriesRead);
    }

    private static async ValueTask SetIdAsync(RespCommandContext context, byte[] key, byte[] group, StreamGroupPosition position, long? entriesRead)
    {
        var error = await context.Broker.Streams.SetGroupIdAsync(key, group, position, entriesRead);
        Reply(context, error, key, group);
    }

    public static ValueTask Destroy(RespCommandContext context)
    {
        if (!CheckKeyAndGroup(context, mkStream: false, groupMustExist: false))
        {
            return ValueTask.CompletedTask;
        }
        return DestroyAsync(context, context.Argument(2).ToArray(), context.Argument(3).ToArray());
    }

    private static async ValueTask DestroyAsync(RespCommandContext context, byte[] key, byte[] group) =>
        context.ReplyInteger(await context.Broker.Streams.DestroyGroupAsync(key, group) ? 1 : 0);

    public static ValueTask CreateConsumer(RespCommandContext context)
    {
        if (!CheckKeyAndGroup(context, mkStream: false, groupMustExist: true))
        {
            return ValueTask.CompletedTask;
        }
        return CreateConsumerAsync(context, context.Argument(2).ToArray(), context.Argument(3).ToArray(), context.Argument(4).ToArray());
    }

    private static async ValueTask CreateConsumerAsync(RespCommandContext context, byte[] key, byte[] group, byte[] consumer)
    {
        var (error, created) = await context.Broker.Streams.CreateConsumerAsync(key, group, consumer);
        if (error != StreamError.None)
        {
            Reply(context, error, key, group);
            return;
        }
        context.ReplyInteger(created);
    }

    public static ValueTask DelConsumer(RespCommandContext context)
    {
        if (!CheckKeyAndGroup(context, mkStream: false, groupMustExist: true))
        {
            return ValueTask.CompletedTask;
        }
        return DelConsumerAsync(context, context.Argument(2).ToArray(), context.Argument(3).ToArray(), context.Argument(4).ToArray());
    }

    private static async ValueTask DelConsumerAsync(RespCommandContext context, byte[] key, byte[] group, byte[] consumer)
    {
        var (error, pending) = await context.Broker.Streams.DeleteConsumerAsync(key, group, consumer);
        if (error != StreamError.None)
        {
            Reply(context, error, key, group);
            return;
        }
        context.ReplyInteger(pending);
    }

    private static bool TryParseOptions(RespCommandContext context, bool allowMkStream, out bool mkStream, out long? entriesRead)
    {
        mkStream = false;
        entriesRead = null;
        for (var i = 5; i < context.ArgumentCount;)
        {
            if (allowMkStream && context.ArgumentIs(i, "MKSTREAM"u8))
            {
                mkStream = true;
                i++;
            }
            else if (context.ArgumentIs(i, "ENTRIESREAD"u8) && i + 1 < context.ArgumentCount)
            {
                if (!context.TryGetInteger(i + 1, out var read))
                {
                    return false;
                }
                if (read < 0 && read != -1)
                {
                    context.ReplyError("ERR value for ENTRIESREAD must be positive or -1");
                    return false;
                }
                entriesRead = read;
                i += 2;
            }
            else
            {
                context.ReplyError(RespErrors.SubcommandSyntax(context.Request));
                return false;
            }
        }
        return true;
    }

    private static bool CheckKeyAndGroup(RespCommandContext context, bool mkStream, bool groupMustExist)
    {
        if (mkStream)
        {
            return true;
        }
        var streams = context.Broker.Streams;
        if (!streams.Exists(context.Argument(2)))
        {
            context.ReplyError(KeyMustExist);
            return false;
        }
        if (groupMustExist && !streams.HasGroup(context.Argument(2), context.Argument(3).ToArray()))
        {
            context.ReplyError(NoGroup(context.Argument(2), context.Argument(3)));
            return false;
        }
        return true;
    }

    private static bool TryParsePosition(RespCommandContext context, out StreamGroupPosition position)
    {
        if (context.Argument(4).SequenceEqual("$"u8))
        {
            position = new StreamGroupPosition(true, default);
            return true;
        }
        var ok = StreamArguments.TryParseId(context, 4, 0, out var id, allowSpecial: false);
        position = new StreamGroupPosition(false, id);
        return ok;
    }

    public static string NoGroup(ReadOnlySpan<byte> key, ReadOnlySpan<byte> group) =>
        $"NOGROUP No such consumer group '{RespErrors.Quote(group, int.MaxValue)}' for key name '{RespErrors.Quote(key, int.MaxValue)}'";

    private static void Reply(RespCommandContext context, StreamError error, byte[] key, byte[] group)
    {
        switch (error)
        {
            case StreamError.None:
                context.ReplyOk();
                break;
            case StreamError.NoSuchKey:
                context.ReplyError(KeyMustExist);
                break;
            case StreamError.NoGroup:
                context.ReplyError(NoGroup(key, group));
                break;
            default:
                StreamArguments.ReplyError(context, error);
                break;
        }
    }
}
