namespace Herald.Protocols.Amqp.Frames;

/// <summary>
/// A content header frame's payload: <c>class-id (short) | weight (short, 0) | body-size (longlong) |
/// property flags and properties</c>. The properties stay bytes (<see cref="PropertyBytes"/>) so they can be stored
/// and re-sent exactly as published; <see cref="BasicProperties.Read"/> decodes them when needed.
/// </summary>
public readonly struct AmqpContentHeader(ushort classId, ulong bodySize, ReadOnlyMemory<byte> propertyBytes)
{
    /// <summary>Bytes before the properties: class-id, weight, body-size.</summary>
    public const int FixedSize = 12;

    public ushort ClassId { get; } = classId;

    public ulong BodySize { get; } = bodySize;

    /// <summary>The property flags word(s) and property list as received.</summary>
    public ReadOnlyMemory<byte> PropertyBytes { get; } = propertyBytes;

    /// <summary>Splits a header payload; the properties are copied out so the frame's buffer can be released.</summary>
    public static AmqpContentHeader Read(ReadOnlySpan<byte> payload)
    {
        var reader = new AmqpReader(payload);
        var classId = reader.ReadShort();
        var weight = reader.ReadShort();
        if (weight != 0)
        {
            throw new AmqpProtocolException(AmqpReplyCode.FrameError, $"content header weight {weight}, the spec requires 0");
        }
        var bodySize = reader.ReadLongLong();
        if (reader.Remaining < 2)
        {
            throw new AmqpProtocolException(AmqpReplyCode.FrameError, "content header without property flags");
        }
        return new AmqpContentHeader(classId, bodySize, reader.ReadBytes(reader.Remaining).ToArray());
    }

    public BasicProperties ReadBasicProperties()
    {
        var reader = new AmqpReader(PropertyBytes.Span);
        return BasicProperties.Read(ref reader);
    }
}
