
namespace Herald.Protocols.Kafka.Tests;

/// <summary>The primitive encodings, checked against byte sequences from the protocol guide.</summary>
public class KafkaReaderWriterTests
{
    [Theory]
    [InlineData(0u, new byte[] { 0x00 })]
    [InlineData(127u, new byte[] { 0x7F })]
    [InlineData(128u, new byte[] { 0x80, 0x01 })]
    [InlineData(300u, new byte[] { 0xAC, 0x02 })]
    [InlineData(uint.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Unsigned_varints_match_the_protocol(uint value, byte[] encoded)
    {
        var buffer = new byte[5];
        var writer = new KafkaWriter(buffer);
        writer.WriteUnsignedVarInt(value);
        Assert.Equal(encoded, writer.Written.ToArray());
        Assert.Equal(encoded.Length, KafkaWriter.SizeOfUnsignedVarInt(value));
        var reader = new KafkaReader(encoded.AsSpan());
        Assert.Equal(value, reader.ReadUnsignedVarInt());
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // six bytes
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F })] // beyond 32 bits
    [InlineData(new byte[] { 0x80, 0x80 })] // truncated
    public void Malformed_unsigned_varints_throw(byte[] encoded)
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(encoded.AsSpan());
            reader.ReadUnsignedVarInt();
        });
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(int.MinValue)]
    public void Zigzag_varints_round_trip(long value)
    {
        var buffer = new byte[20];
        var writer = new KafkaWriter(buffer);
        writer.WriteVarLong(value);
        Assert.Equal(KafkaWriter.SizeOfVarLong(value), writer.Position);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            writer.WriteVarInt((int)value);
        }
        var reader = new KafkaReader(buffer.AsSpan(0, writer.Position));
        Assert.Equal(value, reader.ReadVarLong());
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            Assert.Equal((int)value, reader.ReadVarInt());
        }
    }

    [Fact]
    public void Strings_bytes_and_arrays_use_classic_or_compact_lengths()
    {
        var buffer = new byte[64];
        var writer = new KafkaWriter(buffer);
        writer.WriteString("hé", compact: false); // 00 03 68 C3 A9
        writer.WriteNullableString(null, compact: false); // FF FF
        writer.WriteString("hé", compact: true); // 04 68 C3 A9
        writer.WriteNullableString(null, compact: true); // 00
        writer.WriteBytes(new byte[] { 9 }, compact: false); // 00 00 00 01 09
        writer.WriteNullableBytes(null, compact: true); // 00
        writer.WriteArrayCount(2, compact: true); // 03
        writer.WriteNullArray(compact: false); // FF FF FF FF
        byte[] expected =
        [
            0x00, 0x03, 0x68, 0xC3, 0xA9, 0xFF, 0xFF, 0x04, 0x68, 0xC3, 0xA9, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x09, 0x00, 0x03, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        Assert.Equal(expected, writer.Written.ToArray());

        var reader = new KafkaReader(expected.AsMemory());
        Assert.Equal("hé", reader.ReadString(false));
        Assert.Null(reader.ReadNullableString(false));
        Assert.Equal("hé", reader.ReadString(true));
        Assert.Null(reader.ReadNullableString(true));
        Assert.Equal([9], reader.ReadBytes(false).ToArray());
        Assert.Null(reader.ReadNullableBytes(true));
        Assert.Throws<KafkaProtocolException>(() =>
        {
            // Two elements announced and no bytes left for them.
            var copy = new KafkaReader(new byte[] { 0x03 }.AsSpan());
            copy.ReadArrayCount(true);
        });
        Assert.Equal(2, reader.ReadArrayCount(true));
        Assert.Equal(-1, reader.ReadNullableArrayCount(false));
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Uuids_are_big_endian()
    {
        byte[] bytes = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF];
        var reader = new KafkaReader(bytes.AsSpan());
        var uuid = reader.ReadUuid();
        Assert.Equal(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), uuid);
        var buffer = new byte[16];
        var writer = new KafkaWriter(buffer);
        writer.WriteUuid(uuid);
        Assert.Equal(bytes, buffer);
    }

    [Fact]
    public void Zero_copy_reader_returns_slices_of_its_memory()
    {
        byte[] bytes = [0x00, 0x00, 0x00, 0x02, 0x01, 0x02];
        var reader = new KafkaReader(new ReadOnlyMemory<byte>(bytes));
        var slice = reader.ReadBytes(false);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(slice, out var segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(4, segment.Offset);
    }

    [Fact]
    public void Writing_past_the_destination_throws()
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var writer = new KafkaWriter(new byte[3]);
            writer.WriteInt32(1);
        });
    }
}
