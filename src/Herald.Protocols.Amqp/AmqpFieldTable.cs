using System.Buffers.Binary;
using System.Text;

namespace Herald.Protocols.Amqp;

/// <summary>
/// Encodes and decodes field tables and arrays with RabbitMQ's type letters (the 0-9-1 errata, which RabbitMQ and
/// its clients use instead of the spec's own table):
/// <code>
/// letter  wire                      CLR value
/// t       octet 0/1                 bool
/// b / B   signed / unsigned 8-bit   sbyte / byte
/// s / u   signed / unsigned 16-bit  short / ushort
/// I / i   signed / unsigned 32-bit  int / uint
/// l       signed 64-bit             long           ('L', the spec's letter for it, is read the same way)
/// f / d   IEEE 754 32 / 64-bit      float / double
/// D       scale octet, 32-bit       AmqpDecimal
/// S       long string               byte[] (read); byte[] or string (written as UTF-8)
/// x       long byte array           AmqpBinary
/// A       long length, values       List&lt;object?&gt; (read); any IReadOnlyList&lt;object?&gt; (written)
/// T       64-bit seconds            AmqpTimestamp
/// F       nested table              AmqpTable
/// V       nothing                   null
/// </code>
/// A table is a 32-bit byte length then entries of short-string name, type letter and value; an array the same
/// without names. Unknown letters and overruns are 502 SYNTAX_ERROR.
/// </summary>
public static class AmqpFieldTable
{
    /// <summary>Bytes of a table including its 32-bit length; null counts as empty.</summary>
    public static int GetSize(AmqpTable? table)
    {
        var size = 4;
        if (table is null)
        {
            return size;
        }
        foreach (var entry in table)
        {
            size += AmqpWriter.ShortStringSize(entry.Key) + 1 + ValueSize(entry.Value);
        }
        return size;
    }

    public static void Write(ref AmqpWriter writer, AmqpTable? table)
    {
        var length = writer.Reserve(4);
        var start = writer.Position;
        if (table is not null)
        {
            foreach (var entry in table)
            {
                writer.WriteShortString(entry.Key);
                WriteValue(ref writer, entry.Value);
            }
        }
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)(writer.Position - start));
    }

    public static AmqpTable Read(ref AmqpReader reader) => ReadEntries(reader.ReadLongStringSpan());

    /// <summary>
    /// Reads table entries that fill <paramref name="bytes"/> with no length word before them (the form of
    /// RabbitMQ's AMQPLAIN response).
    /// </summary>
    public static AmqpTable ReadEntries(ReadOnlySpan<byte> bytes)
    {
        var table = new AmqpTable();
        var inner = new AmqpReader(bytes);
        while (inner.Remaining > 0)
        {
            var key = inner.ReadShortString();
            table.Add(key, ReadValue(ref inner));
        }
        return table;
    }

    private static int ValueSize(object? value) => value switch
    {
        null => 0,
        bool or sbyte or byte => 1,
        short or ushort => 2,
        int or uint or float => 4,
        long or double or AmqpTimestamp => 8,
        AmqpDecimal => 5,
        string s => 4 + Encoding.UTF8.GetByteCount(s),
        byte[] b => 4 + b.Length,
        AmqpBinary x => 4 + x.Bytes.Length,
        AmqpTable t => GetSize(t),
        IReadOnlyList<object?> a => ArraySize(a),
        _ => throw Unsupported(value),
    };

    private static int ArraySize(IReadOnlyList<object?> array)
    {
        var size = 4;
        foreach (var item in array)
        {
            size += 1 + ValueSize(item);
        }
        return size;
    }

    private static void WriteValue(ref AmqpWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteOctet((byte)'V');
                break;
            case bool v:
                writer.WriteOctet((byte)'t');
                writer.WriteOctet(v ? (byte)1 : (byte)0);
                break;
            case sbyte v:
                writer.WriteOctet((byte)'b');
                writer.WriteOctet(unchecked((byte)v));
                break;
            case byte v:
                writer.WriteOctet((byte)'B');
                writer.WriteOctet(v);
                break;
            case short v:
                writer.WriteOctet((byte)'s');
                writer.WriteShort(unchecked((ushort)v));
                break;
            case ushort v:
                writer.WriteOctet((byte)'u');
                writer.WriteShort(v);
                break;
            case int v:
                writer.WriteOctet((byte)'I');
                writer.WriteLong(unchecked((uint)v));
                break;
            case uint v:
                writer.WriteOctet((byte)'i');
                writer.WriteLong(v);
                break;
            case long v:
                writer.WriteOctet((byte)'l');
                writer.WriteLongLong(unchecked((ulong)v));
                break;
            case float v:
                writer.WriteOctet((byte)'f');
                writer.WriteLong(BitConverter.SingleToUInt32Bits(v));
                break;
            case double v:
                writer.WriteOctet((byte)'d');
                writer.WriteLongLong(BitConverter.DoubleToUInt64Bits(v));
                break;
            case AmqpDecimal v:
                writer.WriteOctet((byte)'D');
                writer.WriteOctet(v.Scale);
                writer.WriteLong(v.Value);
                break;
            case string v:
                writer.WriteOctet((byte)'S');
                var length = Encoding.UTF8.GetByteCount(v);
                writer.WriteLong((uint)length);
                Encoding.UTF8.GetBytes(v, writer.Reserve(length));
                break;
            case byte[] v:
                writer.WriteOctet((byte)'S');
                writer.WriteLongString(v);
                break;
            case AmqpBinary v:
                writer.WriteOctet((byte)'x');
                writer.WriteLongString(v.Bytes);
                break;
            case AmqpTimestamp v:
                writer.WriteOctet((byte)'T');
                writer.WriteLongLong(v.UnixSeconds);
                break;
            case AmqpTable v:
                writer.WriteOctet((byte)'F');
                Write(ref writer, v);
                break;
            case IReadOnlyList<object?> v:
                writer.WriteOctet((byte)'A');
                var arrayLength = writer.Reserve(4);
                var start = writer.Position;
                foreach (var item in v)
                {
                    WriteValue(ref writer, item);
                }
                BinaryPrimitives.WriteUInt32BigEndian(arrayLength, (uint)(writer.Position - start));
                break;
            default:
                throw Unsupported(value);
        }
    }

    private static object? ReadValue(ref AmqpReader reader)
    {
        var type = reader.ReadOctet();
        switch ((char)type)
        {
            case 't': return reader.ReadOctet() != 0;
            case 'b': return unchecked((sbyte)reader.ReadOctet());
            case 'B': return reader.ReadOctet();
            case 's': return unchecked((short)reader.ReadShort());
            case 'u': return reader.ReadShort();
            case 'I': return unchecked((int)reader.ReadLong());
            case 'i': return reader.ReadLong();
            case 'l' or 'L': return unchecked((long)reader.ReadLongLong());
            case 'f': return BitConverter.UInt32BitsToSingle(reader.ReadLong());
            case 'd': return BitConverter.UInt64BitsToDouble(reader.ReadLongLong());
            case 'D':
                var scale = reader.ReadOctet();
                return new AmqpDecimal(scale, reader.ReadLong());
            case 'S': return reader.ReadLongString();
            case 'x': return new AmqpBinary(reader.ReadLongString());
            case 'T': return new AmqpTimestamp(reader.ReadLongLong());
            case 'F': return Read(ref reader);
            case 'V': return null;
            case 'A':
                var bytes = reader.ReadLongStringSpan();
                var inner = new AmqpReader(bytes);
                var array = new List<object?>();
                while (inner.Remaining > 0)
                {
                    array.Add(ReadValue(ref inner));
                }
                return array;
            default:
                throw new AmqpProtocolException(AmqpReplyCode.SyntaxError, $"unknown field table type '{(char)type}' (0x{type:X2})");
        }
    }

    private static ArgumentException Unsupported(object value) =>
        new($"{value.GetType()} cannot be a field table value", nameof(value));
}
