using Herald.Broker.Streams;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// XREAD [COUNT n] [BLOCK ms] STREAMS key... id... and XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms]
/// [NOACK] STREAMS key... id.... A blocked read holds no thread: it awaits the keys' XADD signals and a timer on
/// the broker's clock, and is woken within the continuation dispatch of the XADD that became durable. As in Redis,
/// the connection runs nothing else meanwhile.
/// </summary>
internal static class XreadCommand
{
    /// <summary>One key and where to read from: after an ID, new entries for the group (&gt;), or the last entry (+).</summary>
    private record struct Target(byte[] Key, StreamId After, bool New, bool LastEntry);

    private sealed record Options(long Count, long? BlockMs, bool NoAck, byte[]? Group, byte[]? Consumer, Target[] Targets);

    public static ValueTask Read(RespCommandContext context) => Execute(context, isGroup: false);

    public static ValueTask ReadGroup(RespCommandContext context) => Execute(context, isGroup: true);

    private static ValueTask Execute(RespCommandContext context, bool isGroup)
    {
        var name = isGroup ? "xreadgroup" : "xread";
        long count = 0;
        long? block = null;
        var noAck = false;
        byte[]? group = null, consumer = null;
        var streamsAt = -1;
        for (var i = 1; i < context.ArgumentCount; i++)
        {
            var more = context.ArgumentCount - i - 1;
            if (context.ArgumentIs(i, "BLOCK"u8) && more >= 1)
            {
                i++;
                if (!context.TryGetInteger(i, out var ms, "ERR timeout is not an integer or out of range"))
                {
                    return ValueTask.CompletedTask;
                }
                if (ms < 0)
                {
                    context.ReplyError("ERR timeout is negative");
                    return ValueTask.CompletedTask;
                }
                block = ms;
            }
            else if (context.ArgumentIs(i, "COUNT"u8) && more >= 1)
            {
                if (!context.TryGetInteger(++i, out count))
                {
                    return ValueTask.CompletedTask;
                }
                count = Math.Max(count, 0);
            }
            else if (context.ArgumentIs(i, "STREAMS"u8) && more >= 1)
            {
                streamsAt = i + 1;
                break;
            }
            else if (context.ArgumentIs(i, "GROUP"u8) && more >= 2)
            {
                if (!isGroup)
                {
                    context.ReplyError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                    return ValueTask.CompletedTask;
                }
                group = context.Argument(++i).ToArray();
                consumer = context.Argument(++i).ToArray();
            }
            else if (context.ArgumentIs(i, "NOACK"u8))
            {
                if (!isGroup)
                {
                    context.ReplyError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                    return ValueTask.CompletedTask;
                }
                noAck = true;
            }
            else
            {
                context.ReplyError(RespErrors.Syntax);
                return ValueTask.CompletedTask;
            }
        }
        if (streamsAt < 0)
        {
            context.ReplyError(RespErrors.Syntax);
            return ValueTask.CompletedTask;
        }
        var remaining = context.ArgumentCount - streamsAt;
        if (remaining % 2 != 0)
        {
            context.ReplyError($"ERR Unbalanced {name.ToUpperInvariant()} list of streams: for each stream key an ID or '$' must be specified.");
            return ValueTask.CompletedTask;
        }
        if (isGroup && group is null)
        {
            context.ReplyError("ERR Missing GROUP option for XREADGROUP");
            return ValueTask.CompletedTask;
        }
        var streams = context.Broker.Streams;
        var targets = new Target[remaining / 2];
        for (var k = 0; k < targets.Length; k++)
        {
            var key = context.Argument(streamsAt + k);
            var idIndex = streamsAt + targets.Length + k;
            var idText = context.Argument(idIndex);
            if (isGroup && !streams.HasGroup(key, group!))
            {
                context.ReplyError($"NOGROUP No such key '{RespErrors.Quote(key, int.MaxValue)}' or consumer group '{RespErrors.Quote(group, int.MaxValue)}' in XREADGROUP with GROUP option");
                return ValueTask.CompletedTask;
            }
            if (idText.SequenceEqual("$"u8))
            {
                if (isGroup)
                {
                    context.ReplyError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return ValueTask.CompletedTask;
                }
                targets[k] = new Target(key.ToArray(), streams.LastId(key) ?? StreamId.Min, false, false);
            }
            else if (idText.SequenceEqual(">"u8))
            {
                if (!isGroup)
                {
                    context.ReplyError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return ValueTask.CompletedTask;
                }
                targets[k] = new Target(key.ToArray(), default, true, false);
            }
            else if (idText.SequenceEqual("+"u8) && !isGroup)
            {
                targets[k] = new Target(key.ToArray(), streams.LastId(key) ?? StreamId.Min, false, true);
            }
            else
            {
                if (!StreamArguments.TryParseId(context, idIndex, 0, out var id, allowSpecial: false))
                {
                    return ValueTask.CompletedTask;
                }
                targets[k] = new Target(key.ToArray(), id, false, false);
            }
        }
        return ServeAsync(context, new Options(count, block, noAck, group, consumer, targets));
    }

    private static async ValueTask ServeAsync(RespCommandContext context, Options options)
    {
        var streams = context.Broker.Streams;
        var isGroup = options.Group is not null;
        // History reads (an explicit ID in XREADGROUP) answer at once, even when empty.
        var blockable = options.BlockMs is not null && options.Targets.All(t => !isGroup || t.New);
        // The timer and the stop token are made only once the read has to wait: most reads answer at once.
        var started = context.Broker.Clock.GetTimestamp();
        CancellationTokenSource? timeout = null;
        CancellationTokenSource? stop = null;
        try
        {
            var first = true;
            while (true)
            {
                // Take the signals before looking, so an XADD in between still wakes us.
                var signals = blockable ? options.Targets.Select(t => streams.WhenChanged(t.Key)).ToArray() : [];
                var results = new List<(byte[] Key, List<StreamEntry> Entries)>();
                for (var k = 0; k < options.Targets.Length; k++)
                {
                    var target = options.Targets[k];
                    List<StreamEntry> entries;
                    if (isGroup)
                    {
                        var read = streams.ReadGroup(target.Key, options.Group!, options.Consumer!,
                            target.New ? null : target.After, options.Count, options.NoAck, out var durable);
                        // The reply waits in the output until the group's new state is durable (see RespConnection).
                        context.Connection.HoldRepliesUntil(durable);
                        if (read.Error != StreamError.None)
                        {
                            context.ReplyError($"NOGROUP No such key '{RespErrors.Quote(target.Key, int.MaxValue)}' or consumer group '{RespErrors.Quote(options.Group, int.MaxValue)}' in XREADGROUP with GROUP option");
                            return;
                        }
                        entries = read.Entries!;
                        if (!target.New)
                        {
                            results.Add((target.Key, entries));
                            continue;
                        }
                    }
                    else if (target.LastEntry && first && streams.LastEntry(target.Key) is { } last)
                    {
                        entries = [last];
                    }
                    else
                    {
                        entries = streams.Read(target.Key, target.After, options.Count == 0 ? -1 : options.Count);
                    }
                    if (entries.Count > 0)
                    {
                        results.Add((target.Key, entries));
                    }
                }
                first = false;
                if (results.Count > 0 || !blockable)
                {
                    Reply(context, results);
                    return;
                }
                if (stop is null)
                {
                    timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, context.Broker.Clock);
                    if (options.BlockMs > 0)
                    {
                        var left = TimeSpan.FromMilliseconds(options.BlockMs.Value) - context.Broker.Clock.GetElapsedTime(started);
                        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                    }
                    stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.Connection.Closed, context.Connection.CloseRequested);
                }
                try
                {
                    await Task.WhenAny(signals).WaitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    if (!context.Connection.Closed.IsCancellationRequested)
                    {
                        Reply(context, []);
                    }
                    return;
                }
            }
        }
        finally
        {
            stop?.Dispose();
            timeout?.Dispose();
        }
    }

    private static void Reply(RespCommandContext context, List<(byte[] Key, List<StreamEntry> Entries)> results)
    {
        using (context.BeginReply(out var writer))
        {
            if (results.Count == 0)
            {
                writer.WriteNullArray();
                return;
            }
            if (writer.IsResp3)
            {
                writer.WriteMapHeader(results.Count);
            }
            else
            {
                writer.WriteArrayHeader(results.Count);
            }
            foreach (var (key, entries) in results)
            {
                if (!writer.IsResp3)
                {
                    // RESP2 writes each pair as a two-element array, not a flat map.
                    writer.WriteArrayHeader(2);
                }
                writer.WriteBulkString(key);
                StreamArguments.WriteEntries(writer, entries);
            }
        }
    }
}
