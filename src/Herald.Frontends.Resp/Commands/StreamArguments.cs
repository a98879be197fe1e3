using Herald.Broker.Streams;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// What the stream commands share: Redis's ID parsing (<c>streamGenericParseIDOrReply</c>: <c>-</c>, <c>+</c>,
/// <c>ms</c>, <c>ms-seq</c>, exclusive <c>(</c> ranges), the trim options of XADD and XTRIM, their error strings and
/// the entry reply (<c>[id, [field, value, ...]]</c>). Stateless.
/// </summary>
internal static class StreamArguments
{
    public const string InvalidId = "ERR Invalid stream ID specified as stream command argument";
    public const string NoSuchKey = "ERR no such key";

    /// <summary>
    /// Parses argument <paramref name="index"/> as an ID; a bare <c>ms</c> gets <paramref name="missingSeq"/>.
    /// Replies the error and returns false when it is not one.
    /// </summary>
    public static bool TryParseId(RespCommandContext context, int index, ulong missingSeq, out StreamId id, bool allowSpecial = true)
    {
        var text = context.Argument(index);
        if (allowSpecial && text.Length == 1 && text[0] == (byte)'-')
        {
            id = StreamId.Min;
            return true;
        }
        if (allowSpecial && text.Length == 1 && text[0] == (byte)'+')
        {
            id = StreamId.Max;
            return true;
        }
        if (StreamId.TryParse(text, out id, out var hasSeq))
        {
            if (!hasSeq)
            {
                id = new StreamId(id.Ms, missingSeq);
            }
            return true;
        }
        context.ReplyError(InvalidId);
        return false;
    }

    /// <summary>A range bound with <c>(</c> for exclusive (XRANGE, XPENDING); moves it inward.</summary>
    public static bool TryParseRangeBound(RespCommandContext context, int index, bool isStart, out StreamId id, out bool empty)
    {
        empty = false;
        var text = context.Argument(index);
        if (text.Length > 0 && text[0] == (byte)'(')
        {
            var inner = text[1..];
            if (!StreamId.TryParse(inner, out id, out var hasSeq))
            {
                context.ReplyError(InvalidId);
                return false;
            }
            if (!hasSeq)
            {
                id = new StreamId(id.Ms, isStart ? 0 : ulong.MaxValue);
            }
            if (isStart ? !id.TryIncrement(out id) : !id.TryDecrement(out id))
            {
                context.ReplyError(isStart ? "ERR invalid start ID for the interval" : "ERR invalid end ID for the interval");
                return false;
            }
            return true;
        }
        return TryParseId(context, index, isStart ? 0 : ulong.MaxValue, out id);
    }

    /// <summary>
    /// Parses MAXLEN|MINID [=|~] threshold [LIMIT count] at <paramref name="index"/>, advancing it. Returns false
    /// after replying an error.
    /// </summary>
    public static bool TryParseTrim(RespCommandContext context, ref int index, ref StreamTrim? trim)
    {
        var isMaxLen = context.ArgumentIs(index, "MAXLEN"u8);
        if (trim is { } previous)
        {
            context.ReplyError(previous.Strategy == StreamTrimStrategy.MaxLen == isMaxLen
                ? RespErrors.Syntax
                : "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
            return false;
        }
        index++;
        if (index >= context.ArgumentCount)
        {
            context.ReplyError(RespErrors.Syntax);
            return false;
        }
        var approximate = false;
        if (context.Argument(index).SequenceEqual("~"u8) || context.Argument(index).SequenceEqual("="u8))
        {
            approximate = context.Argument(index)[0] == (byte)'~';
            index++;
            if (index >= context.ArgumentCount)
            {
                context.ReplyError(RespErrors.Syntax);
                return false;
            }
        }
        if (isMaxLen)
        {
            if (!context.TryGetInteger(index, out var maxLen))
            {
                return false;
            }
            if (maxLen < 0)
            {
                context.ReplyError("ERR The MAXLEN argument must be >= 0.");
                return false;
            }
            trim = new StreamTrim(StreamTrimStrategy.MaxLen, maxLen, default, approximate, 0);
        }
        else
        {
            if (!TryParseId(context, index, 0, out var minId, allowSpecial: false))
            {
                return false;
            }
            trim = new StreamTrim(StreamTrimStrategy.MinId, 0, minId, approximate, 0);
        }
        index++;
        return true;
    }

    /// <summary>Applies LIMIT (only with <c>~</c>) and Redis's default work limit for approximate trims.</summary>
    public static bool TryFinishTrim(RespCommandContext context, ref StreamTrim? trim, bool sawLimit, long limit)
    {
        if (trim is not { } t)
        {
            if (sawLimit)
            {
                context.ReplyError(RespErrors.Syntax);
                return false;
            }
            return true;
        }
        if (sawLimit && !t.Approximate)
        {
            context.ReplyError("ERR syntax error, LIMIT cannot be used without the special ~ option");
            return false;
        }
        // Redis: 100 * stream-node-max-entries unless LIMIT says otherwise (0 = unlimited).
        trim = t with { Limit = t.Approximate ? (sawLimit ? limit : 100L * RedisStream.NodeEntries) : 0 };
        return true;
    }

    /// <summary>Writes <c>[id, [field, value, ...]]</c>, or <c>[id, nil]</c> for an entry that is gone.</summary>
    public static void WriteEntry(RespWriter writer, in StreamEntry entry)
    {
        writer.WriteArrayHeader(2);
        WriteId(writer, entry.Id);
        if (entry.Fields is null)
        {
            writer.WriteNullArray();
            return;
        }
        writer.WriteArrayHeader(entry.Fields.Length);
        foreach (var item in entry.Fields)
        {
            writer.WriteBulkString(item);
        }
    }

    public static void WriteEntries(RespWriter writer, List<StreamEntry> entries)
    {
        writer.WriteArrayHeader(entries.Count);
        foreach (var entry in entries)
        {
            WriteEntry(writer, entry);
        }
    }

    public static void WriteId(RespWriter writer, StreamId id)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        writer.WriteBulkString(text[..id.Format(text)]);
    }

    /// <summary>Replies the Redis error for a refused operation.</summary>
    public static void ReplyError(RespCommandContext context, StreamError error, ReadOnlySpan<byte> key = default, ReadOnlySpan<byte> group = default)
    {
        context.ReplyError(error switch
        {
            StreamError.IdNotGreater => "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            StreamError.IdExhausted => "ERR The stream has exhausted the last possible ID, unable to add more items",
            StreamError.WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            StreamError.GroupExists => "BUSYGROUP Consumer Group name already exists",
            StreamError.NoGroup => $"NOGROUP No such key '{RespErrors.Quote(key, int.MaxValue)}' or consumer group '{RespErrors.Quote(group, int.MaxValue)}'",
            StreamError.NoSuchKey => NoSuchKey,
            StreamError.SetIdBelowTop => "ERR The ID specified in XSETID is smaller than the target stream top item",
            StreamError.EntriesAddedBelowLength => "ERR The entries_added specified in XSETID is smaller than the target stream length",
            StreamError.MaxDeletedAboveId => "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            _ => "ERR the stream could not be stored (storage unavailable)",
        });
    }
}
