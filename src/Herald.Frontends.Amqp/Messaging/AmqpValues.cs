using System.Globalization;
using Herald.Broker.Messages;
using Herald.Broker.VirtualHosts;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// Translation between AMQP field values and the broker's neutral values (<see cref="NeutralValue"/>), and between
/// the broker's neutral errors and AMQP reply codes.
/// </summary>
internal static class AmqpValues
{
    /// <summary>An AMQP table as a neutral dictionary (the first of repeated names wins, as lookups do).</summary>
    public static IReadOnlyDictionary<string, object?> ToNeutral(AmqpTable? table)
    {
        if (table is null || table.Count == 0)
        {
            return NeutralValue.EmptyTable;
        }
        var result = new Dictionary<string, object?>(table.Count, StringComparer.Ordinal);
        foreach (var (key, value) in table)
        {
            result.TryAdd(key, ToNeutral(value));
        }
        return result;
    }

    private static object? ToNeutral(object? value) => value switch
    {
        AmqpTable table => ToNeutral(table),
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds((long)timestamp.UnixSeconds),
        AmqpDecimal number => new decimal((int)number.Value, 0, 0, false, number.Scale),
        AmqpBinary binary => binary.Bytes,
        IReadOnlyList<object?> list => list.Select(ToNeutral).ToArray(),
        float f => (double)f,
        _ => value,
    };

    /// <summary>The AMQP reply code for a neutral error.</summary>
    public static AmqpReplyCode ReplyCode(MessagingError error) => error switch
    {
        MessagingError.NotFound => AmqpReplyCode.NotFound,
        MessagingError.PreconditionFailed or MessagingError.UnknownDeliveryTag => AmqpReplyCode.PreconditionFailed,
        MessagingError.ResourceLocked => AmqpReplyCode.ResourceLocked,
        MessagingError.AccessRefused => AmqpReplyCode.AccessRefused,
        MessagingError.CommandInvalid => AmqpReplyCode.CommandInvalid,
        MessagingError.NotAllowed => AmqpReplyCode.NotAllowed,
        MessagingError.NotImplemented => AmqpReplyCode.NotImplemented,
        _ => AmqpReplyCode.InternalError,
    };

    /// <summary>
    /// Parses the AMQP <c>expiration</c> property (a decimal string of milliseconds, RabbitMQ); null when absent,
    /// an exception answered with 406 when malformed or negative.
    /// </summary>
    public static long? ParseExpiration(string? expiration)
    {
        if (expiration is null)
        {
            return null;
        }
        if (long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return milliseconds;
        }
        throw new MessagingException(MessagingError.PreconditionFailed,
            $"invalid expiration '{expiration}' for message");
    }
}
