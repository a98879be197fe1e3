using System.Buffers.Binary;
using System.Numerics;

namespace Herald.Primitives.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of Kafka's v2 record batch. <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// uses the SSE4.2/ARMv8 CRC instruction when the CPU has one and a table otherwise, so this stays in the base
/// library. The register starts at all ones and the result is inverted, as RFC 3720 defines it.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a raw (not yet inverted) CRC register over more bytes.</summary>
    public static uint Append(uint register, ReadOnlySpan<byte> data)
    {
        // Three independent streams would hide the instruction's latency; one stream already runs at several
        // GB/s, far above what the broker needs per batch, so the simple loop stays.
        while (data.Length >= 8)
        {
            register = BitOperations.Crc32C(register, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            register = BitOperations.Crc32C(register, b);
        }
        return register;
    }
}
