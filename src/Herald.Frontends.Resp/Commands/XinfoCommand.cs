using Herald.Broker.Streams;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XINFO STREAM key [FULL [COUNT n]], XINFO GROUPS key, XINFO CONSUMERS key group: maps in RESP3, flat
/// name/value arrays in RESP2, with Redis 7.2's field names and order. The radix-tree figures are Herald's node
/// equivalents (stored entries in nodes of 100), not Redis's memory layout.
/// </summary>
internal static class XinfoCommand
{
    private static readonly string[] HelpLines =
    [
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
    ];

    public static ValueTask Help(RespCommandContext context)
    {
        ClientCommand.WriteHelp(context, HelpLines);
        return ValueTask.CompletedTask;
    }

    public static ValueTask Stream(RespCommandContext context)
    {
        var full = false;
        long count = 10;
        if (context.ArgumentCount > 3)
        {
            if (!context.ArgumentIs(3, "FULL"u8) || context.ArgumentCount is not (4 or 6)
                || (context.ArgumentCount == 6 && !context.ArgumentIs(4, "COUNT"u8)))
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
            full = true;
            if (context.ArgumentCount == 6 && !context.TryGetInteger(5, out count))
            {
                return ValueTask.CompletedTask;
            }
            if (count <= 0)
            {
                count = -1;
            }
        }
        var found = context.Broker.Streams.Inspect(context.Argument(2), s =>
        {
            using (context.BeginReply(out var writer))
            {
                WriteStream(writer, s, full, count);
            }
            return true;
        });
        if (!found)
        {
            context.ReplyError(StreamArguments.NoSuchKey);
        }
        return ValueTask.CompletedTask;
    }

    private static void WriteStream(RespWriter writer, RedisStream s, bool full, long count)
    {
        writer.WriteMapHeader(full ? 9 : 10);
        Field(writer, "length");
        writer.WriteInteger(s.Length);
        Field(writer, "radix-tree-keys");
        writer.WriteInteger((s.StoredEntries + RedisStream.NodeEntries - 1) / RedisStream.NodeEntries);
        Field(writer, "radix-tree-nodes");
        writer.WriteInteger((s.StoredEntries + RedisStream.NodeEntries - 1) / RedisStream.NodeEntries + 1);
        Field(writer, "last-generated-id");
        StreamArguments.WriteId(writer, s.LastId);
        Field(writer, "max-deleted-entry-id");
        StreamArguments.WriteId(writer, s.MaxDeletedId);
        Field(writer, "entries-added");
        writer.WriteInteger(s.EntriesAdded);
        Field(writer, "recorded-first-entry-id");
        StreamArguments.WriteId(writer, s.FirstId);
        if (!full)
        {
            Field(writer, "groups");
            writer.WriteInteger(s.AllGroups.Count());
            var (first, last) = s.Ends();
            Field(writer, "first-entry");
            WriteOptionalEntry(writer, first);
            Field(writer, "last-entry");
            WriteOptionalEntry(writer, last);
            return;
        }
        Field(writer, "entries");
        StreamArguments.WriteEntries(writer, s.Head(count));
        Field(writer, "groups");
        var groups = s.AllGroups.ToList();
        writer.WriteArrayHeader(groups.Count);
        foreach (var g in groups)
        {
            writer.WriteMapHeader(7);
            Field(writer, "name");
            writer.WriteBulkString(g.Name);
            Field(writer, "last-delivered-id");
            StreamArguments.WriteId(writer, g.LastDelivered);
            Field(writer, "entries-read");
            WriteOptionalInteger(writer, g.EntriesRead >= 0 ? g.EntriesRead : null);
            Field(writer, "lag");
            WriteOptionalInteger(writer, s.GroupLag(g));
            Field(writer, "pel-count");
            writer.WriteInteger(g.PendingCount);
            Field(writer, "pending");
            var pending = Limit(g.PendingEntries, count);
            writer.WriteArrayHeader(pending.Count);
            foreach (var p in pending)
            {
                writer.WriteArrayHeader(4);
                StreamArguments.WriteId(writer, p.Id);
                writer.WriteBulkString(p.Consumer.Name);
                writer.WriteInteger(p.DeliveryTime);
                writer.WriteInteger(p.DeliveryCount);
            }
            Field(writer, "consumers");
            var consumers = g.AllConsumers.ToList();
            writer.WriteArrayHeader(consumers.Count);
            foreach (var c in consumers)
            {
                writer.WriteMapHeader(5);
                Field(writer, "name");
                writer.WriteBulkString(c.Name);
                Field(writer, "seen-time");
                writer.WriteInteger(c.SeenTime);
                Field(writer, "active-time");
                writer.WriteInteger(c.ActiveTime);
                Field(writer, "pel-count");
                writer.WriteInteger(c.PendingCount);
                Field(writer, "pending");
                var own = Limit(c.PendingEntries, count);
                writer.WriteArrayHeader(own.Count);
                foreach (var p in own)
                {
                    writer.WriteArrayHeader(3);
                    StreamArguments.WriteId(writer, p.Id);
                    writer.WriteInteger(p.DeliveryTime);
                    writer.WriteInteger(p.DeliveryCount);
                }
            }
        }
    }

    public static ValueTask Groups(RespCommandContext context)
    {
        var found = context.Broker.Streams.Inspect(context.Argument(2), s =>
        {
            var groups = s.AllGroups.ToList();
            using (context.BeginReply(out var writer))
            {
                writer.WriteArrayHeader(groups.Count);
                foreach (var g in groups)
                {
                    writer.WriteMapHeader(6);
                    Field(writer, "name");
                    writer.WriteBulkString(g.Name);
                    Field(writer, "consumers");
                    writer.WriteInteger(g.AllConsumers.Count());
                    Field(writer, "pending");
                    writer.WriteInteger(g.PendingCount);
                    Field(writer, "last-delivered-id");
                    StreamArguments.WriteId(writer, g.LastDelivered);
                    Field(writer, "entries-read");
                    WriteOptionalInteger(writer, g.EntriesRead >= 0 ? g.EntriesRead : null);
                    Field(writer, "lag");
                    WriteOptionalInteger(writer, s.GroupLag(g));
                }
            }
            return true;
        });
        if (!found)
        {
            context.ReplyError(StreamArguments.NoSuchKey);
        }
        return ValueTask.CompletedTask;
    }

    public static ValueTask Consumers(RespCommandContext context)
    {
        var groupName = context.Argument(3).ToArray();
        var now = context.Broker.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var found = context.Broker.Streams.Inspect(context.Argument(2), s =>
        {
            if (s.FindGroup(groupName) is not { } g)
            {
                return 2;
            }
            var consumers = g.AllConsumers.ToList();
            using (context.BeginReply(out var writer))
            {
                writer.WriteArrayHeader(consumers.Count);
                foreach (var c in consumers)
                {
                    writer.WriteMapHeader(4);
                    Field(writer, "name");
                    writer.WriteBulkString(c.Name);
                    Field(writer, "pending");
                    writer.WriteInteger(c.PendingCount);
                    Field(writer, "idle");
                    writer.WriteInteger(Math.Max(0, now - c.SeenTime));
                    Field(writer, "inactive");
                    writer.WriteInteger(c.ActiveTime < 0 ? -1 : Math.Max(0, now - c.ActiveTime));
                }
            }
            return 1;
        });
        if (found == 0)
        {
            context.ReplyError(StreamArguments.NoSuchKey);
        }
        else if (found == 2)
        {
            context.ReplyError(XgroupCommand.NoGroup(context.Argument(2), groupName));
        }
        return ValueTask.CompletedTask;
    }

    private static List<PendingEntry> Limit(IEnumerable<PendingEntry> entries, long count) =>
        count < 0 ? entries.ToList() : entries.Take((int)Math.Min(count, int.MaxValue)).ToList();

    private static void Field(RespWriter writer, string name) => writer.WriteBulkString(name);

    private static void WriteOptionalEntry(RespWriter writer, StreamEntry? entry)
    {
        if (entry is { } e)
        {
            StreamArguments.WriteEntry(writer, e);
        }
        else
        {
            writer.WriteNull();
        }
    }

    private static void WriteOptionalInteger(RespWriter writer, long? value)
    {
        if (value is { } v)
        {
            writer.WriteInteger(v);
        }
        else
        {
            writer.WriteNull();
        }
    }
}
