namespace Herald.Protocols.Amqp;

/// <summary>
/// Input the codec cannot accept: a bad frame (501 FRAME_ERROR) or malformed arguments (502 SYNTAX_ERROR). Both are
/// hard errors: the front end answers with connection.close carrying <see cref="ReplyCode"/>.
/// </summary>
public sealed class AmqpProtocolException : Exception
{
    public AmqpProtocolException()
    {
    }

    public AmqpProtocolException(string message) : this(AmqpReplyCode.SyntaxError, message)
    {
    }

    public AmqpProtocolException(string message, Exception innerException) : base(message, innerException)
    {
        ReplyCode = AmqpReplyCode.SyntaxError;
    }

    public AmqpProtocolException(AmqpReplyCode replyCode, string message) : base(message)
    {
        ReplyCode = replyCode;
    }

    public AmqpReplyCode ReplyCode { get; }
}
