using Herald.Primitives.Records;

namespace Herald.Primitives.Tests;

/// <summary>
/// The CRC-32C against a bit-at-a-time reference (RFC 3720's reflected polynomial 0x82F63B78), around the 256-byte
/// folding block and the three-stream block sizes where the code paths meet, and across split appends. On a CPU with
/// VPCLMULQDQ (the benchmark machine has it) long inputs take the folding path, elsewhere the three-stream one.
/// </summary>
public class Crc32CTests
{
    private const uint ReflectedPolynomial = 0x82F63B78;

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(4351)]
    [InlineData(1535)]
    [InlineData(1536)]
    [InlineData(1537)]
    [InlineData(3072)]
    [InlineData(3079)]
    [InlineData(16384)]
    [InlineData(1_048_576 + 13)]
    public void Append_matches_the_bitwise_reference(int length)
    {
        var random = new Random(length);
        var data = new byte[length];
        random.NextBytes(data);
        foreach (var register in new[] { uint.MaxValue, 0u, (uint)random.Next() })
        {
            Assert.Equal(Reference(register, data), Crc32C.Append(register, data));
        }
    }

    [Fact]
    public void Appending_in_pieces_equals_appending_at_once()
    {
        var random = new Random(42);
        var data = new byte[10_000];
        random.NextBytes(data);
        var whole = Crc32C.Compute(data);
        for (var trial = 0; trial < 50; trial++)
        {
            var cut = random.Next(data.Length + 1);
            var register = Crc32C.Append(uint.MaxValue, data.AsSpan(0, cut));
            Assert.Equal(whole, ~Crc32C.Append(register, data.AsSpan(cut)));
        }
    }

    [Fact]
    public void Unaligned_input_gives_the_same_checksum()
    {
        var data = new byte[5000];
        new Random(7).NextBytes(data);
        for (var offset = 1; offset < 8; offset++)
        {
            var slice = data.AsSpan(offset, 4000);
            Assert.Equal(Reference(uint.MaxValue, slice), Crc32C.Append(uint.MaxValue, slice));
        }
    }

    private static uint Reference(uint register, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            register ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                register = (register & 1) != 0 ? (register >> 1) ^ ReflectedPolynomial : register >> 1;
            }
        }
        return register;
    }
}
