namespace Herald.Protocols.Resp;

/// <summary>
/// The client's bytes do not form a RESP request, or a request breaks a <see cref="RespReaderLimits"/> limit. The
/// message is Redis's own text (<c>Protocol error: invalid bulk length</c> and so on, from <c>networking.c</c>), so a
/// server replies <c>-ERR {Message}</c> when <see cref="ReplyToClient"/> is true and then closes the connection, as
/// Redis does. Nothing of the offending request is kept.
/// </summary>
public sealed class RespProtocolException : Exception
{
    public RespProtocolException(string message)
        : this(message, replyToClient: true)
    {
    }

    public RespProtocolException(string message, bool replyToClient)
        : base(message)
    {
        ReplyToClient = replyToClient;
    }

    public RespProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        ReplyToClient = true;
    }

    /// <summary>
    /// False when Redis closes without a word: a request that outgrows the query buffer limit
    /// (<c>client-query-buffer-limit</c>) gets no reply.
    /// </summary>
    public bool ReplyToClient { get; }
}
