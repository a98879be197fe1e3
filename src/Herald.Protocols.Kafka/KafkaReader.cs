using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Herald.Protocols.Kafka;

/// <summary>
/// Reads Kafka protocol primitives from one contiguous buffer, front to back. Everything is big-endian; lengths
/// come in two encodings:
/// <code>
/// classic  string: int16 length (-1 = null)      bytes and arrays: int32 length or count (-1 = null)
/// compact  (flexible versions, KIP-482): unsigned varint holding length + 1 (0 = null)
/// tagged fields (end of every flexible struct): uvarint count, then per field uvarint tag, uvarint size, value
/// </code>
/// Every read is bounds-checked and throws <see cref="KafkaProtocolException"/> on truncated or inconsistent input.
/// A length or element count is compared with the bytes that remain <em>before</em> anything is allocated, so a
/// hostile four-byte length can cost at most as much memory as the frame that carries it (an element needs at
/// least one byte, so a count larger than the remaining bytes cannot be honest).
/// <para>
/// Built over a <see cref="ReadOnlyMemory{T}"/>, <c>bytes</c>, <c>records</c> and unknown tagged fields come back as
/// slices of that memory (zero copy: they stay valid only while the caller keeps the buffer); built over a span,
/// they are copied. A ref struct: one reader per parse, on the stack, never shared between threads.
/// </para>
/// </summary>
public ref struct KafkaReader
{
    /// <summary>Kafka's own limit: a string's UTF-8 length must fit in an int16, compact or not.</summary>
    private const int MaxStringBytes = short.MaxValue;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly bool _hasMemory;
    private int _position;

    public KafkaReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
    }

    public KafkaReader(ReadOnlyMemory<byte> buffer)
    {
        _buffer = buffer.Span;
        _memory = buffer;
        _hasMemory = true;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when <c>bytes</c> and <c>records</c> fields are slices of the source rather than copies.</summary>
    public readonly bool IsZeroCopy => _hasMemory;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Kafka's UUID: 16 bytes, most significant first; <see cref="Guid"/>'s big-endian form keeps that order.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>Reads an int16 at <paramref name="offset"/> bytes past the current position without consuming it.</summary>
    public readonly short PeekInt16(int offset)
    {
        if (offset < 0 || Remaining - offset < 2)
        {
            KafkaProtocolException.ThrowTruncated(offset + 2, Remaining);
        }
        return BinaryPrimitives.ReadInt16BigEndian(_buffer.Slice(_position + offset, 2));
    }

    /// <summary>Protocol-level unsigned varint (no zig-zag): seven bits a byte, low group first, at most 5 bytes.</summary>
    public uint ReadUnsignedVarInt()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                KafkaProtocolException.ThrowTruncated(1, 0);
            }
            uint b = _buffer[_position++];
            // The fifth byte may only contribute the top four bits of a 32-bit value.
            if (shift == 28 && b > 0x0F)
            {
                KafkaProtocolException.ThrowMalformedVarInt();
            }
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        KafkaProtocolException.ThrowMalformedVarInt();
        return 0;
    }

    /// <summary>Zig-zag varint, the record-level encoding (Kafka <c>ByteUtils.readVarint</c>).</summary>
    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>Zig-zag varlong, at most 10 bytes (Kafka <c>ByteUtils.readVarlong</c>).</summary>
    public long ReadVarLong()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                KafkaProtocolException.ThrowTruncated(1, 0);
            }
            ulong b = _buffer[_position++];
            if (shift == 63 && b > 0x01)
            {
                KafkaProtocolException.ThrowMalformedVarInt();
            }
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(result >> 1) ^ -(long)(result & 1);
            }
        }
        KafkaProtocolException.ThrowMalformedVarInt();
        return 0;
    }

    public string ReadString(bool compact)
    {
        var length = ReadStringLength(compact);
        if (length < 0)
        {
            KafkaProtocolException.ThrowUnexpectedNull("string");
        }
        return DecodeString(length);
    }

    public string? ReadNullableString(bool compact)
    {
        var length = ReadStringLength(compact);
        return length < 0 ? null : DecodeString(length);
    }

    /// <summary>Reads <c>bytes</c> or <c>records</c>; null on the wire is an error.</summary>
    public ReadOnlyMemory<byte> ReadBytes(bool compact)
    {
        var length = ReadBytesLength(compact);
        if (length < 0)
        {
            KafkaProtocolException.ThrowUnexpectedNull("bytes");
        }
        return Slice(length);
    }

    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact)
    {
        var length = ReadBytesLength(compact);
        if (length < 0)
        {
            // Not a conditional expression: `length < 0 ? null : Slice(...)` would turn null into an empty memory
            // through the implicit byte[] conversion.
            return null;
        }
        return Slice(length);
    }

    /// <summary>Reads an array's element count; null on the wire is an error.</summary>
    public int ReadArrayCount(bool compact)
    {
        var count = ReadNullableArrayCount(compact);
        if (count < 0)
        {
            KafkaProtocolException.ThrowUnexpectedNull("array");
        }
        return count;
    }

    /// <summary>Reads an array's element count, -1 for null. The count never exceeds the remaining bytes.</summary>
    public int ReadNullableArrayCount(bool compact)
    {
        long count = compact ? (long)ReadUnsignedVarInt() - 1 : ReadInt32();
        return CheckLength("array", count);
    }

    /// <summary>Reads the count that opens a tagged-field section.</summary>
    public int ReadTaggedFieldCount()
    {
        long count = ReadUnsignedVarInt();
        return CheckLength("tagged field count", count);
    }

    /// <summary>
    /// Reads one tagged field's tag and size and returns a reader over exactly its value; this reader moves past
    /// the value whether or not the caller consumes it all.
    /// </summary>
    public KafkaReader ReadTaggedField(out int tag)
    {
        var rawTag = ReadUnsignedVarInt();
        if (rawTag > int.MaxValue)
        {
            KafkaProtocolException.ThrowInvalidLength("tag", rawTag, Remaining);
        }
        tag = (int)rawTag;
        var size = CheckLength("tagged field", ReadUnsignedVarInt());
        var start = _position;
        _position += size;
        return _hasMemory
            ? new KafkaReader(_memory.Slice(start, size))
            : new KafkaReader(_buffer.Slice(start, size));
    }

    /// <summary>Reads a whole tagged-field section, keeping every field as unknown. Null when it is empty.</summary>
    public List<RawTaggedField>? ReadUnknownTaggedFields()
    {
        var count = ReadTaggedFieldCount();
        if (count == 0)
        {
            return null;
        }
        var fields = new List<RawTaggedField>(count);
        for (var i = 0; i < count; i++)
        {
            var value = ReadTaggedField(out var tag);
            fields.Add(new RawTaggedField(tag, value.ReadRemainingBytes()));
        }
        return fields;
    }

    /// <summary>Consumes and returns everything left (a slice when zero-copy, a copy otherwise).</summary>
    public ReadOnlyMemory<byte> ReadRemainingBytes() => Slice(Remaining);

    /// <summary>Consumes <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> ReadRawBytes(int count) => Take(count);

    private int ReadStringLength(bool compact)
    {
        long length = compact ? (long)ReadUnsignedVarInt() - 1 : ReadInt16();
        if (length > MaxStringBytes)
        {
            KafkaProtocolException.ThrowInvalidLength("string", length, Remaining);
        }
        return CheckLength("string", length);
    }

    private int ReadBytesLength(bool compact)
    {
        long length = compact ? (long)ReadUnsignedVarInt() - 1 : ReadInt32();
        return CheckLength("bytes", length);
    }

    /// <summary>-1 passes (null); anything else must be non-negative and fit in what remains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int CheckLength(string what, long length)
    {
        if (length < -1 || length > Remaining)
        {
            KafkaProtocolException.ThrowInvalidLength(what, length, Remaining);
        }
        return (int)length;
    }

    private string DecodeString(int length) => length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));

    private ReadOnlyMemory<byte> Slice(int length)
    {
        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var start = _position;
        var span = Take(length);
        return _hasMemory ? _memory.Slice(start, length) : span.ToArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            KafkaProtocolException.ThrowTruncated(count, Remaining);
        }
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
