using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;

namespace Herald.Broker.Queues;

/// <summary>What a queue does when it is full (RabbitMQ's <c>x-overflow</c>).</summary>
public enum OverflowBehaviour
{
    /// <summary>Drop (dead-letter) the oldest ready message to make room: the default.</summary>
    DropHead,

    /// <summary>Refuse the new message (publisher confirm: nack).</summary>
    RejectPublish,

    /// <summary>Refuse the new message and dead-letter it.</summary>
    RejectPublishDeadLetter,
}

/// <summary>
/// A queue's optional arguments, checked and parsed once at declare (RabbitMQ's <c>x-*</c> queue arguments). A bad
/// value fails the declare with <see cref="MessagingError.PreconditionFailed"/>, as RabbitMQ answers 406.
/// </summary>
public sealed record QueueSettings
{
    public const int MaxPriorityLimit = 255;

    public static readonly QueueSettings Default = new();

    public TimeSpan? MessageTtl { get; init; }

    public TimeSpan? Expires { get; init; }

    public long? MaxLength { get; init; }

    public long? MaxLengthBytes { get; init; }

    public OverflowBehaviour Overflow { get; init; }

    public string? DeadLetterExchange { get; init; }

    public string? DeadLetterRoutingKey { get; init; }

    /// <summary>0 for a queue without priorities; otherwise the highest priority level (messages above it count as it).</summary>
    public int MaxPriority { get; init; }

    /// <summary>Returns of a message beyond which it is dead-lettered with reason delivery_limit.</summary>
    public long? DeliveryLimit { get; init; }

    public bool SingleActiveConsumer { get; init; }

    /// <summary>Parses the arguments of a queue declare; unknown arguments are kept but ignored, as RabbitMQ does.</summary>
    public static QueueSettings Parse(IReadOnlyDictionary<string, object?> arguments)
    {
        var settings = Default;
        foreach (var (name, value) in arguments)
        {
            settings = name switch
            {
                "x-message-ttl" => settings with { MessageTtl = TimeSpan.FromMilliseconds(NonNegative(name, value)) },
                "x-expires" => settings with { Expires = TimeSpan.FromMilliseconds(Positive(name, value)) },
                "x-max-length" => settings with { MaxLength = NonNegative(name, value) },
                "x-max-length-bytes" => settings with { MaxLengthBytes = NonNegative(name, value) },
                "x-overflow" => settings with { Overflow = ParseOverflow(value) },
                "x-dead-letter-exchange" => settings with { DeadLetterExchange = Text(name, value) },
                "x-dead-letter-routing-key" => settings with { DeadLetterRoutingKey = Text(name, value) },
                "x-max-priority" => settings with { MaxPriority = (int)Math.Min(Positive(name, value), MaxPriorityLimit) },
                "x-delivery-limit" => settings with { DeliveryLimit = NonNegative(name, value) },
                "x-single-active-consumer" => settings with { SingleActiveConsumer = value is bool b ? b : throw Invalid(name, value) },
                "x-queue-type" => CheckQueueType(settings, value),
                _ => settings,
            };
        }
        if (settings.DeadLetterRoutingKey is not null && settings.DeadLetterExchange is null)
        {
            throw MessagingException.Precondition(
                "invalid arg 'x-dead-letter-routing-key': Key 'x-dead-letter-exchange' is mandatory if 'x-dead-letter-routing-key' is defined");
        }
        return settings;
    }

    private static QueueSettings CheckQueueType(QueueSettings settings, object? value) =>
        NeutralValue.TryGetString(value, out var type) && type is "classic" or "quorum"
            ? settings
            : throw MessagingException.Precondition($"invalid arg 'x-queue-type': unsupported queue type '{value}'");

    private static OverflowBehaviour ParseOverflow(object? value) =>
        NeutralValue.TryGetString(value, out var text) ? text switch
        {
            "drop-head" => OverflowBehaviour.DropHead,
            "reject-publish" => OverflowBehaviour.RejectPublish,
            "reject-publish-dlx" => OverflowBehaviour.RejectPublishDeadLetter,
            _ => throw Invalid("x-overflow", value),
        } : throw Invalid("x-overflow", value);

    private static long NonNegative(string name, object? value) =>
        NeutralValue.TryGetInteger(value, out var number) && number >= 0 ? number : throw Invalid(name, value);

    private static long Positive(string name, object? value) =>
        NeutralValue.TryGetInteger(value, out var number) && number > 0 ? number : throw Invalid(name, value);

    private static string Text(string name, object? value) =>
        NeutralValue.TryGetString(value, out var text) ? text : throw Invalid(name, value);

    private static MessagingException Invalid(string name, object? value) =>
        MessagingException.Precondition($"invalid arg '{name}' for queue: {value ?? "void"} is not acceptable");
}
