using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Channels;

/// <summary>
/// A message's content as a client published it: the content header's properties (as bytes, exactly as received,
/// and decoded) and the body assembled from its body frames. Owned by the channel and reused: valid only until the
/// handler's returned task completes; copy what must outlive it.
/// </summary>
public sealed class AmqpContent
{
    private BasicProperties? _properties;

    internal AmqpContent(ushort classId, ReadOnlyMemory<byte> propertyBytes, ReadOnlyMemory<byte> body)
    {
        ClassId = classId;
        PropertyBytes = propertyBytes;
        Body = body;
    }

    /// <summary>The content's class (always basic, 60, for the methods a client publishes).</summary>
    public ushort ClassId { get; }

    /// <summary>The property flags and property list as received; re-sending these bytes preserves every property and header exactly.</summary>
    public ReadOnlyMemory<byte> PropertyBytes { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The decoded properties (decoded once, on first use).</summary>
    public BasicProperties Properties
    {
        get
        {
            if (_properties is null)
            {
                var reader = new AmqpReader(PropertyBytes.Span);
                _properties = BasicProperties.Read(ref reader);
            }
            return _properties.Value;
        }
    }
}
