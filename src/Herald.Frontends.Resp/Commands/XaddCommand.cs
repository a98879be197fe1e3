using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|ms-*|id field value [field value ...] and
/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count], parsed as Redis's streamParseAddOrTrimArgsOrReply does.
/// Both answer once the entry (and any trim) is durable under the fsync policy.
/// </summary>
internal static class XaddCommand
{
    public static ValueTask Add(RespCommandContext context)
    {
        var noMkStream = false;
        StreamTrim? trim = null;
        var sawLimit = false;
        long limit = 0;
        var i = 2;
        for (; i < context.ArgumentCount; i++)
        {
            if (context.ArgumentIs(i, "NOMKSTREAM"u8))
            {
                noMkStream = true;
            }
            else
            {
                var option = TryParseTrimOption(context, ref i, ref trim, ref limit, ref sawLimit);
                if (option == TrimOption.Failed)
                {
                    return ValueTask.CompletedTask;
                }
                if (option == TrimOption.None)
                {
                    break;
                }
            }
        }
        if (i >= context.ArgumentCount || (context.ArgumentCount - i - 1) < 2 || (context.ArgumentCount - i - 1) % 2 == 1)
        {
            context.ReplyError(RespErrors.WrongArity("xadd"));
            return ValueTask.CompletedTask;
        }
        if (!StreamArguments.TryFinishTrim(context, ref trim, sawLimit, limit))
        {
            return ValueTask.CompletedTask;
        }
        var idText = context.Argument(i);
        StreamIdKind kind;
        StreamId id = default;
        if (idText.SequenceEqual("*"u8))
        {
            kind = StreamIdKind.Auto;
        }
        else if (idText.EndsWith("-*"u8) && StreamId.TryParse(idText[..^2], out id, out var msHasSeq) && !msHasSeq)
        {
            kind = StreamIdKind.AutoSequence;
        }
        else if (StreamId.TryParse(idText, out id, out var hasSeq))
        {
            kind = StreamIdKind.Explicit;
            if (hasSeq && id == StreamId.Min)
            {
                context.ReplyError("ERR The ID specified in XADD must be greater than 0-0");
                return ValueTask.CompletedTask;
            }
        }
        else
        {
            context.ReplyError(StreamArguments.InvalidId);
            return ValueTask.CompletedTask;
        }
        // The fields stay in the request's buffer, which outlives the append (the read loop parses nothing meanwhile).
        var fields = new ReadOnlyMemory<byte>[context.ArgumentCount - i - 1];
        for (var f = 0; f < fields.Length; f++)
        {
            fields[f] = context.Request.GetMemory(i + 1 + f);
        }
        var request = new StreamAddRequest(kind, id, fields, noMkStream, trim);
        if (context.Broker.Streams.TryAdd(context.Argument(1), request, out var added, out var durable))
        {
            // The stream exists: appended now, the reply waits in the output for durability (see RespConnection).
            if (added.Error != StreamError.None)
            {
                StreamArguments.ReplyError(context, added.Error);
                return ValueTask.CompletedTask;
            }
            using (context.Connection.BeginReplyWhenDurable(durable, out var writer))
            {
                StreamArguments.WriteId(writer, added.Id!.Value);
            }
            return ValueTask.CompletedTask;
        }
        return Finish(context, context.Argument(1).ToArray(), request);
    }

    private static async ValueTask Finish(RespCommandContext context, byte[] key, StreamAddRequest request)
    {
        var result = await context.Broker.Streams.AddAsync(key, request);
        if (result.Error != StreamError.None)
        {
            StreamArguments.ReplyError(context, result.Error);
        }
        else if (result.Id is { } id)
        {
            using (context.BeginReply(out var writer))
            {
                StreamArguments.WriteId(writer, id);
            }
        }
        else
        {
            context.ReplyNull();
        }
    }

    public static ValueTask Trim(RespCommandContext context)
    {
        StreamTrim? trim = null;
        var sawLimit = false;
        long limit = 0;
        for (var i = 2; i < context.ArgumentCount; i++)
        {
            var option = TryParseTrimOption(context, ref i, ref trim, ref limit, ref sawLimit);
            if (option == TrimOption.Failed)
            {
                return ValueTask.CompletedTask;
            }
            if (option == TrimOption.None)
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        if (trim is null)
        {
            context.ReplyError(RespErrors.Syntax);
            return ValueTask.CompletedTask;
        }
        if (!StreamArguments.TryFinishTrim(context, ref trim, sawLimit, limit))
        {
            return ValueTask.CompletedTask;
        }
        return TrimAsync(context, context.Argument(1).ToArray(), trim!.Value);
    }

    private static async ValueTask TrimAsync(RespCommandContext context, byte[] key, StreamTrim trim) =>
        context.ReplyInteger(await context.Broker.Streams.TrimAsync(key, trim));

    private enum TrimOption
    {
        /// <summary>The argument is not a trim option; nothing was consumed.</summary>
        None,
        Parsed,
        /// <summary>A trim option was malformed; the error is already replied.</summary>
        Failed,
    }

    /// <summary>
    /// The trim options XADD and XTRIM share: <c>MAXLEN|MINID [=|~] threshold</c> and <c>LIMIT count</c> at argument
    /// <paramref name="i"/>, which is left on the option's last argument.
    /// </summary>
    private static TrimOption TryParseTrimOption(RespCommandContext context, ref int i, ref StreamTrim? trim, ref long limit,
        ref bool sawLimit)
    {
        if (context.ArgumentIs(i, "MAXLEN"u8) || context.ArgumentIs(i, "MINID"u8))
        {
            if (!StreamArguments.TryParseTrim(context, ref i, ref trim))
            {
                return TrimOption.Failed;
            }
            i--;
            return TrimOption.Parsed;
        }
        if (context.ArgumentIs(i, "LIMIT"u8) && i + 1 < context.ArgumentCount)
        {
            if (!TryParseLimit(context, ++i, out limit))
            {
                return TrimOption.Failed;
            }
            sawLimit = true;
            return TrimOption.Parsed;
        }
        return TrimOption.None;
    }

    private static bool TryParseLimit(RespCommandContext context, int index, out long limit)
    {
        if (!context.TryGetInteger(index, out limit))
        {
            return false;
        }
        if (limit < 0)
        {
            context.ReplyError("ERR The LIMIT argument must be >= 0.");
            return false;
        }
        return true;
    }
}
