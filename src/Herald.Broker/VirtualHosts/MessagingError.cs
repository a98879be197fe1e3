namespace Herald.Broker.VirtualHosts;

/// <summary>
/// Why an operation on exchanges, queues or deliveries failed, in neutral terms. Front ends map each to their own
/// error (for AMQP: the channel or connection exception with RabbitMQ's reply code, noted per value).
/// </summary>
public enum MessagingError
{
    None,

    /// <summary>The exchange, queue or virtual host does not exist (AMQP 404 NOT_FOUND).</summary>
    NotFound,

    /// <summary>Redeclared with different settings, not empty / in use on a conditional delete, bad argument (406).</summary>
    PreconditionFailed,

    /// <summary>An exclusive queue of another connection, or a consumer that conflicts with an exclusive one (405).</summary>
    ResourceLocked,

    /// <summary>A reserved name (amq.*), or a publish to an internal exchange (403 ACCESS_REFUSED).</summary>
    AccessRefused,

    /// <summary>A request that is never valid in this context, e.g. an unknown exchange type (503 COMMAND_INVALID).</summary>
    CommandInvalid,

    /// <summary>An unknown delivery tag on ack/nack/reject (406 PRECONDITION_FAILED "unknown delivery tag").</summary>
    UnknownDeliveryTag,

    /// <summary>A consumer tag already in use on the channel (AMQP 530 NOT_ALLOWED, a connection exception).</summary>
    NotAllowed,

    /// <summary>The request is valid but not supported by Herald (540 NOT_IMPLEMENTED).</summary>
    NotImplemented,
}

/// <summary>
/// A failed exchange/queue/delivery operation; <see cref="Error"/> says which neutral error it is. The message is
/// RabbitMQ's reply text without the reply-code name (a front end prefixes it: <c>NOT_FOUND - no queue 'q' in vhost '/'</c>).
/// </summary>
public sealed class MessagingException : Exception
{
    public MessagingException(MessagingError error, string message)
        : base(message) => Error = error;

    public MessagingException()
    {
    }

    public MessagingException(string message)
        : base(message)
    {
    }

    public MessagingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MessagingError Error { get; }

    internal static MessagingException NotFound(string message) => new(MessagingError.NotFound, message);

    internal static MessagingException Precondition(string message) => new(MessagingError.PreconditionFailed, message);
}
