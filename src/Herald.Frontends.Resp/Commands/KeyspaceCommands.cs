using System.Buffers.Text;
using Herald.Broker.PubSub;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// The keyspace over stream keys (Herald's only keys): TYPE, EXISTS, DEL/UNLINK, KEYS, SCAN (MATCH, COUNT, TYPE),
/// DBSIZE, FLUSHALL/FLUSHDB.
///
/// SCAN's cursor: keys are visited in the order of a 62-bit FNV-1a hash of their bytes and the cursor is the hash to
/// resume from, so, as Redis guarantees, a key present for the whole iteration is returned at least once whatever
/// is added or deleted meanwhile, and the cursor is 0 exactly when the iteration is complete.
/// </summary>
internal static class KeyspaceCommands
{
    public static ValueTask Type(RespCommandContext context)
    {
        context.ReplySimple(context.Broker.Streams.Exists(context.Argument(1)) ? "stream"u8 : "none"u8);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Exists(RespCommandContext context)
    {
        var count = 0;
        for (var i = 1; i < context.ArgumentCount; i++)
        {
            if (context.Broker.Streams.Exists(context.Argument(i)))
            {
                count++;
            }
        }
        context.ReplyInteger(count);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Delete(RespCommandContext context)
    {
        var keys = new byte[context.ArgumentCount - 1][];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = context.Argument(i + 1).ToArray();
        }
        return DeleteAsync(context, keys);
    }

    private static async ValueTask DeleteAsync(RespCommandContext context, byte[][] keys)
    {
        var deleted = 0;
        foreach (var key in keys)
        {
            if (await context.Broker.Streams.DeleteStreamAsync(key))
            {
                deleted++;
            }
        }
        context.ReplyInteger(deleted);
    }

    public static ValueTask DbSize(RespCommandContext context)
    {
        context.ReplyInteger(context.Broker.Streams.Count);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Keys(RespCommandContext context)
    {
        var pattern = context.Argument(1);
        var matching = new List<byte[]>();
        foreach (var key in context.Broker.Streams.Keys())
        {
            if (GlobPattern.IsMatch(pattern, key))
            {
                matching.Add(key);
            }
        }
        WriteKeys(context, matching, cursor: null);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Scan(RespCommandContext context)
    {
        var cursorText = context.Argument(1);
        if (!Utf8Parser.TryParse(cursorText, out ulong cursor, out var consumed) || consumed != cursorText.Length)
        {
            context.ReplyError("ERR invalid cursor");
            return ValueTask.CompletedTask;
        }
        byte[]? pattern = null;
        long count = 10;
        var typeMatches = true;
        for (var i = 2; i < context.ArgumentCount; i++)
        {
            var more = context.ArgumentCount - i - 1;
            if (context.ArgumentIs(i, "COUNT"u8) && more >= 1)
            {
                if (!context.TryGetInteger(++i, out count))
                {
                    return ValueTask.CompletedTask;
                }
                if (count < 1)
                {
                    context.ReplyError(RespErrors.Syntax);
                    return ValueTask.CompletedTask;
                }
            }
            else if (context.ArgumentIs(i, "MATCH"u8) && more >= 1)
            {
                pattern = context.Argument(++i).ToArray();
            }
            else if (context.ArgumentIs(i, "TYPE"u8) && more >= 1)
            {
                typeMatches = context.ArgumentIs(++i, "stream"u8);
            }
            else
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        var ordered = context.Broker.Streams.Keys().Select(k => (Hash: ScanHash(k), Key: k)).Where(k => k.Hash >= cursor)
            .OrderBy(k => k.Hash).ToList();
        var page = new List<byte[]>();
        var visited = 0;
        ulong next = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            // Keys sharing a hash go out together, so the cursor never splits them.
            if (visited >= count && ordered[i].Hash != ordered[i - 1].Hash)
            {
                next = ordered[i].Hash;
                break;
            }
            visited++;
            if (typeMatches && (pattern is null || GlobPattern.IsMatch(pattern, ordered[i].Key)))
            {
                page.Add(ordered[i].Key);
            }
        }
        WriteKeys(context, page, next);
        return ValueTask.CompletedTask;
    }

    public static ValueTask FlushAll(RespCommandContext context)
    {
        for (var i = 1; i < context.ArgumentCount; i++)
        {
            if (!context.ArgumentIs(i, "ASYNC"u8) && !context.ArgumentIs(i, "SYNC"u8))
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        return FlushAsync(context);
    }

    private static async ValueTask FlushAsync(RespCommandContext context)
    {
        await context.Broker.Streams.DeleteAllAsync();
        context.ReplyOk();
    }

    /// <summary>FNV-1a over the key, in [1, 2^62): never 0, which means "start" and "done".</summary>
    private static ulong ScanHash(byte[] key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return (hash & 0x3FFF_FFFF_FFFF_FFFFUL) | 1;
    }

    private static void WriteKeys(RespCommandContext context, List<byte[]> keys, ulong? cursor)
    {
        using (context.BeginReply(out var writer))
        {
            if (cursor is { } next)
            {
                writer.WriteArrayHeader(2);
                writer.WriteBulkString(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            writer.WriteArrayHeader(keys.Count);
            foreach (var key in keys)
            {
                writer.WriteBulkString(key);
            }
        }
    }
}
