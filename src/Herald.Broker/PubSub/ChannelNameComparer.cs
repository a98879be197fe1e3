namespace Herald.Broker.PubSub;

/// <summary>
/// Compares channel names and patterns by content, and lets the hub's tables be probed with a span, so a publish
/// looks its channel up without allocating. Hashes are randomized per process (<see cref="HashCode"/>), so a client
/// cannot pick names that collide.
/// </summary>
internal sealed class ChannelNameComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ChannelNameComparer Instance = new();

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
