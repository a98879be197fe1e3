using System.Buffers.Binary;
using System.Buffers.Text;

namespace Herald.Broker.Streams;

/// <summary>
/// A Redis stream entry ID: milliseconds and a sequence number, both unsigned 64-bit, ordered by (ms, seq) and
/// written <c>ms-seq</c>. Immutable value type.
/// </summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Min = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    /// <summary>The longest text form: two 20-digit numbers and a dash.</summary>
    public const int MaxTextLength = 41;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>The next ID in order, or false at <see cref="Max"/> (Redis's streamIncrID).</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue)
        {
            next = new StreamId(Ms, Seq + 1);
            return true;
        }
        if (Ms != ulong.MaxValue)
        {
            next = new StreamId(Ms + 1, 0);
            return true;
        }
        next = this;
        return false;
    }

    /// <summary>The previous ID in order, or false at <see cref="Min"/> (Redis's streamDecrID).</summary>
    public bool TryDecrement(out StreamId previous)
    {
        if (Seq != 0)
        {
            previous = new StreamId(Ms, Seq - 1);
            return true;
        }
        if (Ms != 0)
        {
            previous = new StreamId(Ms - 1, ulong.MaxValue);
            return true;
        }
        previous = this;
        return false;
    }

    /// <summary>Writes <c>ms-seq</c> in ASCII; returns the length.</summary>
    public int Format(Span<byte> destination)
    {
        Utf8Formatter.TryFormat(Ms, destination, out var written);
        destination[written++] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, destination[written..], out var seqWritten);
        return written + seqWritten;
    }

    public byte[] ToBytes()
    {
        Span<byte> text = stackalloc byte[MaxTextLength];
        return text[..Format(text)].ToArray();
    }

    public override string ToString() => System.Text.Encoding.ASCII.GetString(ToBytes());

    /// <summary>
    /// Parses <c>ms</c> or <c>ms-seq</c> (decimal, no sign); <paramref name="hasSeq"/> says whether the sequence was
    /// given. The stored form (a record key) always has both parts.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out StreamId id, out bool hasSeq)
    {
        id = default;
        hasSeq = false;
        var dash = text.IndexOf((byte)'-');
        var msText = dash < 0 ? text : text[..dash];
        if (!TryParseUnsigned(msText, out var ms))
        {
            return false;
        }
        if (dash < 0)
        {
            id = new StreamId(ms, 0);
            return true;
        }
        if (!TryParseUnsigned(text[(dash + 1)..], out var seq))
        {
            return false;
        }
        hasSeq = true;
        id = new StreamId(ms, seq);
        return true;
    }

    private static bool TryParseUnsigned(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }
        return Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length;
    }

    internal void WriteBinary(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Ms);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Seq);
    }

    internal static StreamId ReadBinary(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
}
