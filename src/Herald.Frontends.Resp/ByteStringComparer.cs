using System.Text;

namespace Herald.Frontends.Resp;

/// <summary>
/// Equality of byte strings, exact or ASCII-case-insensitive, with span lookups so hot paths (command names,
/// subscription checks) probe a dictionary or set without allocating. Hashes are randomized per process.
/// </summary>
internal sealed class ByteStringComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    private readonly bool _ignoreCase;

    private ByteStringComparer(bool ignoreCase) => _ignoreCase = ignoreCase;

    public static ByteStringComparer Ordinal { get; } = new(ignoreCase: false);

    /// <summary>Command names: Redis looks them up case-insensitively (ASCII only).</summary>
    public static ByteStringComparer AsciiIgnoreCase { get; } = new(ignoreCase: true);

    public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && Equals((ReadOnlySpan<byte>)x, y);

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) =>
        _ignoreCase ? Ascii.EqualsIgnoreCase(alternate, other) : alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        if (!_ignoreCase)
        {
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }
        foreach (var b in alternate)
        {
            hash.Add(b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b);
        }
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
