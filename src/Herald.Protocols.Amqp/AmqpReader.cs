using System.Buffers.Binary;
using System.Text;

namespace Herald.Protocols.Amqp;

/// <summary>
/// Reads AMQP's primitive types, big-endian, from one contiguous payload (a method frame's arguments or a content
/// header, both complete before they are decoded). Running past the end is a 502 SYNTAX_ERROR: the frame said it
/// was complete. Strings are decoded as UTF-8 (short strings) or copied (long strings) because the payload's
/// buffer goes back to the pipe once the frame is handled.
/// </summary>
public ref struct AmqpReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public byte ReadOctet() => Take(1)[0];

    public ushort ReadShort() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadLong() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadLongLong() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public string ReadShortString()
    {
        var length = ReadOctet();
        return length == 0 ? "" : Encoding.UTF8.GetString(Take(length));
    }

    public byte[] ReadLongString() => ReadLongStringSpan().ToArray();

    /// <summary>A long string's bytes, valid as long as the payload.</summary>
    public ReadOnlySpan<byte> ReadLongStringSpan()
    {
        var length = ReadLong();
        if (length > (uint)Remaining)
        {
            throw Truncated(length);
        }
        return Take((int)length);
    }

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw Truncated((uint)count);
        }
        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly AmqpProtocolException Truncated(uint wanted) => new(
        AmqpReplyCode.SyntaxError, $"truncated arguments: {wanted} bytes wanted at offset {_position}, {Remaining} left");
}
