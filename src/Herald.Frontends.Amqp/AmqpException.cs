using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp;

/// <summary>
/// An AMQP exception as the spec defines them: a reply code and text, and the method that caused it (class and
/// method id, zero when no method did). Throw <see cref="AmqpChannelException"/> to close the channel (soft errors)
/// and <see cref="AmqpConnectionException"/> to close the connection (hard errors). The reply text is sent as
/// RabbitMQ formats it: the code's name, " - ", the text (<c>NOT_FOUND - no queue 'q' in vhost '/'</c>).
/// </summary>
public abstract class AmqpException : Exception
{
    protected AmqpException(AmqpReplyCode replyCode, string text, ushort classId, ushort methodId)
        : base($"{AmqpReplyCodes.Name(replyCode)} - {text}")
    {
        ReplyCode = replyCode;
        ClassId = classId;
        MethodId = methodId;
    }

    public AmqpReplyCode ReplyCode { get; }

    public ushort ClassId { get; }

    public ushort MethodId { get; }

    /// <summary>The reply text as sent, cut to a short string's 255 bytes.</summary>
    public string ReplyText => Message.Length <= 255 ? Message : Message[..255];
}

/// <summary>Closes the channel with channel.close; the connection and its other channels go on.</summary>
public sealed class AmqpChannelException(AmqpReplyCode replyCode, string text, ushort classId = 0, ushort methodId = 0)
    : AmqpException(replyCode, text, classId, methodId);

/// <summary>Closes the connection with connection.close; every channel on it ends.</summary>
public sealed class AmqpConnectionException(AmqpReplyCode replyCode, string text, ushort classId = 0, ushort methodId = 0)
    : AmqpException(replyCode, text, classId, methodId);
