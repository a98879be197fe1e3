namespace Herald.Primitives;

/// <summary>
/// Compares byte strings (record keys, channel names) by content, and lets a dictionary keyed by <c>byte[]</c> be
/// probed with a span, so a lookup allocates only when it adds a new key. Hashes are randomized per process
/// (<see cref="HashCode"/>), so a client cannot pick keys that collide. Stateless and thread-safe.
/// </summary>
public sealed class ByteContentComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ByteContentComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
