namespace Herald.Frontends.Resp;

/// <summary>
/// Node-wide counters for INFO's stats section. Connections count commands and bytes in their own fields (one
/// writer each, no contention) and add them here when they close; INFO adds the live connections' figures to these
/// totals. Thread-safe (interlocked).
/// </summary>
internal sealed class RespStatistics
{
    private long _connectionsReceived;
    private long _commandsProcessed;
    private long _inputBytes;
    private long _outputBytes;
    private long _outputLimitDisconnections;
    private long _protocolErrors;
    private long _errorReplies;

    public long ConnectionsReceived => Interlocked.Read(ref _connectionsReceived);

    public long ClosedConnectionsCommands => Interlocked.Read(ref _commandsProcessed);

    public long ClosedConnectionsInputBytes => Interlocked.Read(ref _inputBytes);

    public long ClosedConnectionsOutputBytes => Interlocked.Read(ref _outputBytes);

    public long ClosedConnectionsErrorReplies => Interlocked.Read(ref _errorReplies);

    /// <summary>Subscribers disconnected for passing the pub/sub output limits.</summary>
    public long OutputLimitDisconnections => Interlocked.Read(ref _outputLimitDisconnections);

    /// <summary>Connections closed for malformed input.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    public void ConnectionReceived() => Interlocked.Increment(ref _connectionsReceived);

    public void OutputLimitDisconnection() => Interlocked.Increment(ref _outputLimitDisconnections);

    public void ProtocolError() => Interlocked.Increment(ref _protocolErrors);

    public void ConnectionClosed(long commands, long inputBytes, long outputBytes, long errorReplies)
    {
        Interlocked.Add(ref _commandsProcessed, commands);
        Interlocked.Add(ref _inputBytes, inputBytes);
        Interlocked.Add(ref _outputBytes, outputBytes);
        Interlocked.Add(ref _errorReplies, errorReplies);
    }
}
