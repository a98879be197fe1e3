namespace Herald.Primitives.Records;

/// <summary>
/// Zig-zag variable-length integers as Kafka's record format uses them (protobuf's sint32/sint64): seven bits a
/// byte, low group first, high bit set on every byte but the last. Readers return false on truncated or
/// over-long input instead of throwing, so a hostile length never turns into an exception storm.
/// </summary>
public static class VarInt
{
    public const int MaxVarIntBytes = 5;
    public const int MaxVarLongBytes = 10;

    public static int SizeOf(int value) => SizeOfUnsigned(ZigZag(value));

    public static int SizeOf(long value) => SizeOfUnsigned(ZigZag(value));

    public static int SizeOfUnsigned(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int Write(Span<byte> destination, int value) => WriteUnsigned(destination, ZigZag(value));

    public static int Write(Span<byte> destination, long value) => WriteUnsigned(destination, ZigZag(value));

    public static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static bool TryReadInt(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        if (TryReadUnsigned(source, MaxVarIntBytes, out var raw, out bytesRead) && raw <= uint.MaxValue)
        {
            value = (int)((uint)raw >> 1) ^ -(int)(raw & 1);
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryReadLong(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        if (TryReadUnsigned(source, MaxVarLongBytes, out var raw, out bytesRead))
        {
            value = (long)(raw >> 1) ^ -(long)(raw & 1);
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryReadUnsigned(ReadOnlySpan<byte> source, int maxBytes, out ulong value, out int bytesRead)
    {
        ulong result = 0;
        var shift = 0;
        for (var i = 0; i < source.Length && i < maxBytes; i++)
        {
            var b = source[i];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                bytesRead = i + 1;
                return true;
            }
            shift += 7;
        }
        value = 0;
        bytesRead = 0;
        return false;
    }

    private static ulong ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
