using System.Buffers.Binary;
using System.Text;

namespace Herald.Protocols.Amqp;

/// <summary>
/// Writes AMQP's primitive types, big-endian, into a span the caller sized with the structs' <c>GetSize</c>
/// (size first, rent once, write once). Writing past the end throws: that is a sizing bug, not bad input.
/// </summary>
public ref struct AmqpWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    private int _position;

    public readonly int Position => _position;

    /// <summary>Bytes of a short string: a length octet and at most 255 bytes of UTF-8.</summary>
    public static int ShortStringSize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return 1 + Encoding.UTF8.GetByteCount(value);
    }

    public void WriteOctet(byte value) => Take(1)[0] = value;

    public void WriteShort(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

    public void WriteLong(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), value);

    public void WriteLongLong(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);

    public void WriteShortString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > byte.MaxValue)
        {
            throw new ArgumentException($"a short string holds at most 255 bytes, not {length}", nameof(value));
        }
        WriteOctet((byte)length);
        Encoding.UTF8.GetBytes(value, Take(length));
    }

    public void WriteLongString(ReadOnlySpan<byte> value)
    {
        WriteLong((uint)value.Length);
        WriteBytes(value);
    }

    public void WriteBytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

    /// <summary>Reserves <paramref name="count"/> bytes to fill later (a table's length word).</summary>
    public Span<byte> Reserve(int count) => Take(count);

    private Span<byte> Take(int count)
    {
        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}
