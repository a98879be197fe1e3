using System.Buffers;

namespace Herald.Protocols.Amqp.Frames;

/// <summary>
/// One frame as read off the wire: <c>type (octet) | channel (short) | size (long) | payload (size bytes) | 0xCE</c>.
/// <see cref="Payload"/> is a slice of the connection's input buffer, valid until the reader advances past it.
/// </summary>
public readonly struct AmqpFrame(byte type, ushort channel, ReadOnlySequence<byte> payload)
{
    /// <summary>Frame header bytes before the payload: type, channel, size.</summary>
    public const int HeaderSize = 7;

    /// <summary>Bytes a frame adds around its payload: the header and the frame-end octet.</summary>
    public const int Overhead = HeaderSize + 1;

    /// <summary>One of <see cref="AmqpConstants.FrameMethod"/>, <see cref="AmqpConstants.FrameHeader"/>, <see cref="AmqpConstants.FrameBody"/>, <see cref="AmqpConstants.FrameHeartbeat"/>.</summary>
    public byte Type { get; } = type;

    public ushort Channel { get; } = channel;

    public ReadOnlySequence<byte> Payload { get; } = payload;
}
