using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Herald.Protocols.Kafka;

/// <summary>
/// Writes Kafka protocol primitives into a span the caller sized with the message's <c>GetSize</c>: size first,
/// rent once, write once. The encodings mirror <see cref="KafkaReader"/> (big-endian; classic int16/int32 lengths
/// with -1 for null, or compact unsigned-varint length + 1 with 0 for null; tagged-field sections). The static
/// <c>SizeOf*</c> methods give the byte count of each encoding so generated <c>GetSize</c> methods agree with
/// <c>Write</c> by construction. Writing past the end throws <see cref="KafkaProtocolException"/> rather than
/// corrupting memory. A ref struct: one writer per message, never shared between threads.
/// </summary>
public ref struct KafkaWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public KafkaWriter(Span<byte> destination)
    {
        _buffer = destination;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    public void WriteInt8(sbyte value) => Advance(1)[0] = (byte)value;

    public void WriteBool(bool value) => Advance(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Advance(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Advance(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Advance(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Advance(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Advance(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Advance(8), value);

    public void WriteUuid(Guid value) => value.TryWriteBytes(Advance(16), bigEndian: true, out _);

    public void WriteUnsignedVarInt(uint value)
    {
        var span = Advance(SizeOfUnsignedVarInt(value));
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i] = (byte)value;
    }

    /// <summary>Zig-zag varint, the record-level encoding.</summary>
    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    /// <summary>Zig-zag varlong, the record-level encoding.</summary>
    public void WriteVarLong(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            Advance(1)[0] = (byte)(raw | 0x80);
            raw >>= 7;
        }
        Advance(1)[0] = (byte)raw;
    }

    /// <summary>Writes a string in a version where it is not nullable: null throws.</summary>
    public void WriteString(string? value, bool compact)
    {
        if (value is null)
        {
            KafkaProtocolException.ThrowNullValue("string");
        }
        WriteStringCore(value, compact);
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact, classicLengthBytes: 2);
            return;
        }
        WriteStringCore(value, compact);
    }

    /// <summary>Writes <c>bytes</c> or <c>records</c> in a version where they are not nullable: null throws.</summary>
    public void WriteBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is null)
        {
            KafkaProtocolException.ThrowNullValue("bytes");
        }
        WriteBytes(value.Value.Span, compact);
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        WriteLength(value.Length, compact, classicLengthBytes: 4);
        value.CopyTo(Advance(value.Length));
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact, classicLengthBytes: 4);
            return;
        }
        WriteBytes(value.Value.Span, compact);
    }

    public void WriteArrayCount(int count, bool compact) => WriteLength(count, compact, classicLengthBytes: 4);

    public void WriteNullArray(bool compact) => WriteNullLength(compact, classicLengthBytes: 4);

    public void WriteRawBytes(ReadOnlySpan<byte> value) => value.CopyTo(Advance(value.Length));

    /// <summary>Writes the tag and size that precede a tagged field's value.</summary>
    public void WriteTaggedFieldHeader(int tag, int size)
    {
        WriteUnsignedVarInt((uint)tag);
        WriteUnsignedVarInt((uint)size);
    }

    /// <summary>Writes a whole tagged-field section made only of <paramref name="fields"/> (none when null).</summary>
    public void WriteUnknownTaggedFields(List<RawTaggedField>? fields)
    {
        var count = fields?.Count ?? 0;
        WriteUnsignedVarInt((uint)count);
        var next = 0;
        WriteUnknownTaggedFields(fields, ref next, int.MaxValue);
    }

    /// <summary>
    /// Writes the unknown fields from <paramref name="next"/> on whose tag is below <paramref name="beforeTag"/>;
    /// generated code interleaves them with known fields so the section stays in ascending tag order.
    /// </summary>
    public void WriteUnknownTaggedFields(List<RawTaggedField>? fields, ref int next, int beforeTag)
    {
        if (fields is null)
        {
            return;
        }
        for (; next < fields.Count && fields[next].Tag < beforeTag; next++)
        {
            var field = fields[next];
            WriteTaggedFieldHeader(field.Tag, field.Data.Length);
            WriteRawBytes(field.Data.Span);
        }
    }

    public static int SizeOfUnsignedVarInt(uint value) => value switch
    {
        < 1u << 7 => 1,
        < 1u << 14 => 2,
        < 1u << 21 => 3,
        < 1u << 28 => 4,
        _ => 5,
    };

    public static int SizeOfVarInt(int value) => SizeOfUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public static int SizeOfVarLong(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }
        return size;
    }

    /// <summary>Encoded size of a string, prefix included; null counts as the null marker.</summary>
    public static int SizeOfString(string? value, bool compact)
    {
        if (value is null)
        {
            return compact ? 1 : 2;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        return (compact ? SizeOfUnsignedVarInt((uint)length + 1) : 2) + length;
    }

    /// <summary>Encoded size of <c>bytes</c> or <c>records</c>, prefix included; null counts as the null marker.</summary>
    public static int SizeOfBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is null)
        {
            return compact ? 1 : 4;
        }
        var length = value.Value.Length;
        return (compact ? SizeOfUnsignedVarInt((uint)length + 1) : 4) + length;
    }

    /// <summary>Encoded size of an array's count; -1 stands for null.</summary>
    public static int SizeOfArrayCount(int count, bool compact) =>
        compact ? SizeOfUnsignedVarInt((uint)(count + 1)) : 4;

    /// <summary>Encoded size of one tagged field: tag, size and value.</summary>
    public static int SizeOfTaggedField(int tag, int valueSize) =>
        SizeOfUnsignedVarInt((uint)tag) + SizeOfUnsignedVarInt((uint)valueSize) + valueSize;

    /// <summary>Encoded size of the unknown fields alone (not the section's count).</summary>
    public static int SizeOfUnknownTaggedFields(List<RawTaggedField>? fields)
    {
        if (fields is null)
        {
            return 0;
        }
        var size = 0;
        foreach (var field in fields)
        {
            size += SizeOfTaggedField(field.Tag, field.Data.Length);
        }
        return size;
    }

    private void WriteStringCore(string value, bool compact)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > short.MaxValue)
        {
            throw new KafkaProtocolException($"A string of {length} UTF-8 bytes exceeds Kafka's limit of {short.MaxValue}.");
        }
        WriteLength(length, compact, classicLengthBytes: 2);
        Encoding.UTF8.GetBytes(value, Advance(length));
    }

    private void WriteLength(int length, bool compact, int classicLengthBytes)
    {
        if (compact)
        {
            WriteUnsignedVarInt((uint)length + 1);
        }
        else if (classicLengthBytes == 2)
        {
            WriteInt16((short)length);
        }
        else
        {
            WriteInt32(length);
        }
    }

    private void WriteNullLength(bool compact, int classicLengthBytes)
    {
        if (compact)
        {
            WriteUnsignedVarInt(0);
        }
        else if (classicLengthBytes == 2)
        {
            WriteInt16(-1);
        }
        else
        {
            WriteInt32(-1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            KafkaProtocolException.ThrowBufferTooSmall(count, Remaining);
        }
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
