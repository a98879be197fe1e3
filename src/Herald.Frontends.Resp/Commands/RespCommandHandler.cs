namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// Runs one command whose name, subcommand and arity the dispatcher has already checked, and writes its reply.
/// Most commands finish synchronously and return a completed task; a blocking command (XREAD BLOCK, later) returns
/// one that completes when it has replied, and the connection runs nothing else meanwhile, as in Redis.
/// </summary>
internal delegate ValueTask RespCommandHandler(RespCommandContext context);
