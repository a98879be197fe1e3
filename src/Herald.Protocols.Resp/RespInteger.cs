using System.Buffers.Text;

namespace Herald.Protocols.Resp;

/// <summary>
/// Integers as Redis reads and writes them. <see cref="TryParse"/> is Redis's <c>string2ll</c>: optional minus sign,
/// no plus sign, no leading zeros ("0" itself excepted), no spaces, at most 20 bytes, within <see cref="long"/>; it
/// is the rule for multibulk and bulk lengths and for every integer argument of a command. Stateless.
/// </summary>
public static class RespInteger
{
    /// <summary>Longest decimal <see cref="long"/>: 19 digits and a sign.</summary>
    public const int MaxFormattedBytes = 20;

    public static bool TryParse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }
        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        var negative = text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits[0] is < (byte)'1' or > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            var digit = (ulong)(b - '0');
            if (magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }
            magnitude = (magnitude * 10) + digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }
            value = (long)(0 - magnitude);
            return true;
        }
        if (magnitude > long.MaxValue)
        {
            return false;
        }
        value = (long)magnitude;
        return true;
    }

    /// <summary>Writes <paramref name="value"/> in decimal; <paramref name="destination"/> needs <see cref="MaxFormattedBytes"/>.</summary>
    public static int Format(long value, Span<byte> destination)
    {
        if (!Utf8Formatter.TryFormat(value, destination, out var written))
        {
            throw new ArgumentException("The destination is too small for a formatted integer.", nameof(destination));
        }
        return written;
    }
}
