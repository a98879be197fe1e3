using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Herald.Broker.Messages;

/// <summary>
/// Argument and header values as the broker sees them: protocol-neutral CLR values. A front end converts its wire
/// tables into dictionaries of these: <c>null</c>, <see cref="string"/>, <see cref="bool"/>, <see cref="long"/> (and
/// the narrower integers, read as long), <see cref="double"/>, <see cref="decimal"/>, <see cref="byte"/>[],
/// <see cref="DateTimeOffset"/>, nested <see cref="IReadOnlyDictionary{TKey,TValue}"/> of string to value, and
/// <see cref="IReadOnlyList{T}"/> of values. This type reads them (numbers of any width), compares them (declare
/// equivalence, headers-exchange matching) and encodes them to bytes for metadata records and stored messages.
/// </summary>
public static class NeutralValue
{
    private enum Tag : byte
    {
        Null = (byte)'N',
        String = (byte)'S',
        Bool = (byte)'B',
        Long = (byte)'L',
        Double = (byte)'D',
        Decimal = (byte)'M',
        Bytes = (byte)'X',
        Timestamp = (byte)'T',
        Table = (byte)'F',
        List = (byte)'A',
    }

    /// <summary>An empty table, shared.</summary>
    public static readonly IReadOnlyDictionary<string, object?> EmptyTable = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>An integer argument of any integral width (AMQP clients send x-message-ttl as short, int or long).</summary>
    public static bool TryGetInteger(object? value, out long integer)
    {
        switch (value)
        {
            case long l: integer = l; return true;
            case int i: integer = i; return true;
            case short s: integer = s; return true;
            case sbyte sb: integer = sb; return true;
            case byte b: integer = b; return true;
            case ushort us: integer = us; return true;
            case uint ui: integer = ui; return true;
            case ulong ul when ul <= long.MaxValue: integer = (long)ul; return true;
            default: integer = 0; return false;
        }
    }

    /// <summary>A string argument; AMQP long strings may arrive as bytes.</summary>
    public static bool TryGetString(object? value, [NotNullWhen(true)] out string? text)
    {
        text = value switch
        {
            string s => s,
            byte[] b => Encoding.UTF8.GetString(b),
            _ => null,
        };
        return text is not null;
    }

    /// <summary>Value equality across integer widths and string/byte encodings, recursive for tables and lists.</summary>
    public static bool AreEquivalent(object? left, object? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }
        if (TryGetInteger(left, out var l) && TryGetInteger(right, out var r))
        {
            return l == r;
        }
        if (TryGetString(left, out var ls) && TryGetString(right, out var rs))
        {
            return string.Equals(ls, rs, StringComparison.Ordinal);
        }
        if (left is IReadOnlyDictionary<string, object?> lt && right is IReadOnlyDictionary<string, object?> rt)
        {
            return TablesAreEquivalent(lt, rt);
        }
        if (left is IReadOnlyList<object?> ll && right is IReadOnlyList<object?> rl)
        {
            if (ll.Count != rl.Count)
            {
                return false;
            }
            for (var i = 0; i < ll.Count; i++)
            {
                if (!AreEquivalent(ll[i], rl[i]))
                {
                    return false;
                }
            }
            return true;
        }
        return left.Equals(right);
    }

    public static bool TablesAreEquivalent(IReadOnlyDictionary<string, object?>? left, IReadOnlyDictionary<string, object?>? right)
    {
        left ??= EmptyTable;
        right ??= EmptyTable;
        if (left.Count != right.Count)
        {
            return false;
        }
        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other) || !AreEquivalent(value, other))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Encodes a table as bytes (tag-length-value, big-endian); <see cref="DecodeTable"/> reverses it.</summary>
    public static byte[] EncodeTable(IReadOnlyDictionary<string, object?> table)
    {
        using var stream = new MemoryStream();
        WriteTable(stream, table);
        return stream.ToArray();
    }

    /// <summary>Decodes bytes from <see cref="EncodeTable"/>; throws <see cref="FormatException"/> on damaged input.</summary>
    public static IReadOnlyDictionary<string, object?> DecodeTable(ReadOnlySpan<byte> bytes)
    {
        var position = 0;
        var table = ReadTable(bytes, ref position);
        if (position != bytes.Length)
        {
            throw new FormatException("Trailing bytes after an encoded table.");
        }
        return table;
    }

    private static void WriteTable(Stream stream, IReadOnlyDictionary<string, object?> table)
    {
        WriteInt(stream, table.Count);
        foreach (var (key, value) in table)
        {
            WriteString(stream, key);
            WriteValue(stream, value);
        }
    }

    private static void WriteValue(Stream stream, object? value)
    {
        switch (value)
        {
            case null:
                stream.WriteByte((byte)Tag.Null);
                break;
            case string s:
                stream.WriteByte((byte)Tag.String);
                WriteString(stream, s);
                break;
            case bool b:
                stream.WriteByte((byte)Tag.Bool);
                stream.WriteByte(b ? (byte)1 : (byte)0);
                break;
            case double or float:
                stream.WriteByte((byte)Tag.Double);
                WriteLong(stream, BitConverter.DoubleToInt64Bits(Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                break;
            case decimal m:
                stream.WriteByte((byte)Tag.Decimal);
                WriteString(stream, m.ToString(CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                stream.WriteByte((byte)Tag.Bytes);
                WriteInt(stream, bytes.Length);
                stream.Write(bytes);
                break;
            case DateTimeOffset time:
                stream.WriteByte((byte)Tag.Timestamp);
                WriteLong(stream, time.ToUnixTimeMilliseconds());
                break;
            case IReadOnlyDictionary<string, object?> table:
                stream.WriteByte((byte)Tag.Table);
                WriteTable(stream, table);
                break;
            case IReadOnlyList<object?> list:
                stream.WriteByte((byte)Tag.List);
                WriteInt(stream, list.Count);
                foreach (var item in list)
                {
                    WriteValue(stream, item);
                }
                break;
            default:
                if (!TryGetInteger(value, out var integer))
                {
                    throw new ArgumentException($"{value.GetType().Name} is not a neutral value type.", nameof(value));
                }
                stream.WriteByte((byte)Tag.Long);
                WriteLong(stream, integer);
                break;
        }
    }

    private static Dictionary<string, object?> ReadTable(ReadOnlySpan<byte> bytes, ref int position)
    {
        var count = ReadInt(bytes, ref position);
        if (count < 0 || count > bytes.Length)
        {
            throw new FormatException("Bad table entry count.");
        }
        var table = new Dictionary<string, object?>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(bytes, ref position);
            table[key] = ReadValue(bytes, ref position);
        }
        return table;
    }

    private static object? ReadValue(ReadOnlySpan<byte> bytes, ref int position)
    {
        var tag = (Tag)Take(bytes, ref position, 1)[0];
        switch (tag)
        {
            case Tag.Null: return null;
            case Tag.String: return ReadString(bytes, ref position);
            case Tag.Bool: return Take(bytes, ref position, 1)[0] != 0;
            case Tag.Long: return ReadLong(bytes, ref position);
            case Tag.Double: return BitConverter.Int64BitsToDouble(ReadLong(bytes, ref position));
            case Tag.Decimal: return decimal.Parse(ReadString(bytes, ref position), CultureInfo.InvariantCulture);
            case Tag.Bytes: return Take(bytes, ref position, ReadInt(bytes, ref position)).ToArray();
            case Tag.Timestamp: return DateTimeOffset.FromUnixTimeMilliseconds(ReadLong(bytes, ref position));
            case Tag.Table: return ReadTable(bytes, ref position);
            case Tag.List:
                var count = ReadInt(bytes, ref position);
                if (count < 0 || count > bytes.Length)
                {
                    throw new FormatException("Bad list count.");
                }
                var list = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    list[i] = ReadValue(bytes, ref position);
                }
                return list;
            default: throw new FormatException($"Unknown value tag {(byte)tag}.");
        }
    }

    private static void WriteInt(Stream stream, int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, value);
        stream.Write(buffer);
    }

    private static void WriteLong(Stream stream, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        stream.Write(buffer);
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt(stream, bytes.Length);
        stream.Write(bytes);
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int position, int length)
    {
        if (length < 0 || length > bytes.Length - position)
        {
            throw new FormatException("Encoded value is truncated.");
        }
        var slice = bytes.Slice(position, length);
        position += length;
        return slice;
    }

    private static int ReadInt(ReadOnlySpan<byte> bytes, ref int position) =>
        BinaryPrimitives.ReadInt32BigEndian(Take(bytes, ref position, 4));

    private static long ReadLong(ReadOnlySpan<byte> bytes, ref int position) =>
        BinaryPrimitives.ReadInt64BigEndian(Take(bytes, ref position, 8));

    private static string ReadString(ReadOnlySpan<byte> bytes, ref int position) =>
        Encoding.UTF8.GetString(Take(bytes, ref position, ReadInt(bytes, ref position)));
}
