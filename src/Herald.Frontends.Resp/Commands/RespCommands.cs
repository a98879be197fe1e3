namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// The commands Herald answers, one line each: the thin dispatch table. Each handler lives in its own file
/// (<c>&lt;Name&gt;Command.cs</c>; a family such as CLIENT shares one). Metadata (arity, flags, docs) comes from the
/// generated catalog, so a command is advertised by COMMAND exactly when it has a line here.
/// </summary>
internal static class RespCommands
{
    public static RespCommandTable CreateTable()
    {
        var table = new RespCommandTable();

        // Connection. PING, QUIT and RESET are three of the commands RESP2 allows in subscribed mode.
        table.Add("ping", PingCommand.Execute, allowedWhileSubscribed: true);
        table.Add("echo", EchoCommand.Execute);
        table.Add("quit", QuitCommand.Execute, allowedWhileSubscribed: true);
        table.Add("reset", ResetCommand.Execute, allowedWhileSubscribed: true);
        table.Add("hello", HelloCommand.Execute);
        table.Add("auth", AuthCommand.Execute);
        table.Add("select", SelectCommand.Execute);
        table.AddContainer(
            "client",
            handler: null,
            ("getname", ClientCommand.GetName),
            ("help", ClientCommand.Help),
            ("id", ClientCommand.Id),
            ("info", ClientCommand.Info),
            ("kill", ClientCommand.Kill),
            ("list", ClientCommand.List),
            ("setinfo", ClientCommand.SetInfo),
            ("setname", ClientCommand.SetName));

        // Server.
        table.AddContainer(
            "command",
            CommandCommand.All,
            ("count", CommandCommand.Count),
            ("docs", CommandCommand.Docs),
            ("help", CommandCommand.Help),
            ("info", CommandCommand.Info));
        table.Add("info", InfoCommand.Execute);
        table.Add("dbsize", KeyspaceCommands.DbSize);

        // Keyspace: stream keys are Herald's only keys.
        table.Add("type", KeyspaceCommands.Type);
        table.Add("exists", KeyspaceCommands.Exists);
        table.Add("del", KeyspaceCommands.Delete);
        table.Add("unlink", KeyspaceCommands.Delete);
        table.Add("keys", KeyspaceCommands.Keys);
        table.Add("scan", KeyspaceCommands.Scan);
        table.Add("flushall", KeyspaceCommands.FlushAll);
        table.Add("flushdb", KeyspaceCommands.FlushAll);

        // Streams.
        // XADD replies once durable, but a pipeline of them need not wait one by one: see RespConnection.
        table.Add("xadd", XaddCommand.Add, runsBeforeEarlierWritesAreDurable: true);
        table.Add("xtrim", XaddCommand.Trim);
        table.Add("xlen", XlenCommand.Execute);
        table.Add("xrange", XrangeCommand.Range);
        table.Add("xrevrange", XrangeCommand.RevRange);
        table.Add("xdel", XdelCommand.Execute);
        table.Add("xsetid", XsetidCommand.Execute);
        table.Add("xread", XreadCommand.Read);
        table.Add("xreadgroup", XreadCommand.ReadGroup);
        table.Add("xack", XackCommand.Ack, runsBeforeEarlierWritesAreDurable: true);
        table.Add("xpending", XackCommand.Pending);
        table.Add("xclaim", XclaimCommand.Claim);
        table.Add("xautoclaim", XclaimCommand.AutoClaim);
        table.AddContainer(
            "xgroup",
            handler: null,
            ("create", XgroupCommand.Create),
            ("createconsumer", XgroupCommand.CreateConsumer),
            ("delconsumer", XgroupCommand.DelConsumer),
            ("destroy", XgroupCommand.Destroy),
            ("help", XgroupCommand.Help),
            ("setid", XgroupCommand.SetId));
        table.AddContainer(
            "xinfo",
            handler: null,
            ("consumers", XinfoCommand.Consumers),
            ("groups", XinfoCommand.Groups),
            ("help", XinfoCommand.Help),
            ("stream", XinfoCommand.Stream));

        // Pub/sub.
        table.Add("subscribe", SubscribeCommand.Subscribe, allowedWhileSubscribed: true);
        table.Add("psubscribe", SubscribeCommand.PSubscribe, allowedWhileSubscribed: true);
        table.Add("ssubscribe", SubscribeCommand.SSubscribe, allowedWhileSubscribed: true);
        table.Add("unsubscribe", UnsubscribeCommand.Unsubscribe, allowedWhileSubscribed: true);
        table.Add("punsubscribe", UnsubscribeCommand.PUnsubscribe, allowedWhileSubscribed: true);
        table.Add("sunsubscribe", UnsubscribeCommand.SUnsubscribe, allowedWhileSubscribed: true);
        table.Add("publish", PublishCommand.Publish);
        table.Add("spublish", PublishCommand.SPublish);
        table.AddContainer(
            "pubsub",
            handler: null,
            ("channels", PubSubCommand.Channels),
            ("help", PubSubCommand.Help),
            ("numpat", PubSubCommand.NumPat),
            ("numsub", PubSubCommand.NumSub),
            ("shardchannels", PubSubCommand.ShardChannels),
            ("shardnumsub", PubSubCommand.ShardNumSub));

        return table;
    }
}
