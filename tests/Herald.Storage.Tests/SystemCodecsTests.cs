using System.Buffers;
using Herald.Primitives.Records;
using Herald.Storage.Compression;

namespace Herald.Storage.Tests;

/// <summary>snappy, lz4 and zstd through the system libraries (Debian libsnappy1v5, liblz4-1, libzstd1).</summary>
public sealed class SystemCodecsTests
{
    public static TheoryData<CompressionType> Types => [CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    [Theory]
    [MemberData(nameof(Types))]
    public void Each_codec_is_registered_and_round_trips_data_larger_than_one_block(CompressionType type)
    {
        var codec = CompressionCodecs.Default.Get(type);
        Assert.NotNull(codec);
        var data = new byte[300_000];
        new Random(7).NextBytes(data.AsSpan(0, 100_000)); // incompressible part, then runs
        var output = new ArrayBufferWriter<byte>();

        codec.Compress(data, output);
        var decoded = codec.Decompress(output.WrittenSpan, 1 << 20);

        Assert.Equal(data, decoded);
        Assert.True(output.WrittenCount < data.Length);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Output_beyond_the_limit_is_refused_as_a_decompression_bomb(CompressionType type)
    {
        var codec = CompressionCodecs.Default.Get(type)!;
        var output = new ArrayBufferWriter<byte>();
        codec.Compress(new byte[1_000_000], output);

        Assert.Throws<InvalidDataException>(() => codec.Decompress(output.WrittenSpan, 100_000));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Garbage_is_refused_as_invalid_data(CompressionType type)
    {
        var codec = CompressionCodecs.Default.Get(type)!;

        Assert.Throws<InvalidDataException>(() => codec.Decompress("definitely not compressed data"u8, 1 << 20));
    }

    [Fact]
    public void Snappy_reads_both_raw_blocks_and_the_xerial_framing()
    {
        var codec = CompressionCodecs.Default.Get(CompressionType.Snappy)!;
        var data = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("snappy snappy ", 10_000)));
        var framed = new ArrayBufferWriter<byte>();
        codec.Compress(data, framed);
        // The xerial framing is a 16-byte header and length-prefixed raw blocks: the first block alone is raw snappy.
        var firstBlockLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(framed.WrittenSpan[16..]);
        var raw = framed.WrittenSpan.Slice(20, firstBlockLength);

        Assert.Equal(data, codec.Decompress(framed.WrittenSpan, 1 << 20));
        Assert.Equal(data.AsSpan(0, 32 * 1024).ToArray(), codec.Decompress(raw, 1 << 20));
    }
}
