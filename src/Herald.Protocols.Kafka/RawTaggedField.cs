namespace Herald.Protocols.Kafka;

/// <summary>
/// A tagged field this codec does not know (a newer client's or broker's addition), kept as its raw value bytes so
/// that a read followed by a write reproduces it (KIP-482: unknown tags must be skipped, not rejected). When the
/// reader works over a <see cref="ReadOnlyMemory{T}"/>, <see cref="Data"/> is a slice of that memory and lives as
/// long as it does.
/// </summary>
public readonly struct RawTaggedField(int tag, ReadOnlyMemory<byte> data)
{
    public int Tag { get; } = tag;

    /// <summary>The field's value, without the tag and size prefixes.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;

    public override string ToString() => $"tag {Tag}: {Data.Length} bytes";
}
