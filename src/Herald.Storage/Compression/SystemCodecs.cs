using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Herald.Primitives.Records;

namespace Herald.Storage.Compression;

/// <summary>
/// snappy, lz4 and zstd through the operating system's libraries (Debian: <c>libsnappy1v5</c>, <c>liblz4-1</c>,
/// <c>libzstd1</c>), since .NET has none of them. Only used where the broker must read records (compaction, time
/// lookups): produce and fetch move batches as stored bytes and never call a codec. A codec whose library is not
/// installed is simply not offered, and its batches are then kept as they are.
/// </summary>
internal static class SystemCodecs
{
    /// <summary>The codecs whose libraries load on this machine.</summary>
    public static IEnumerable<ICompressionCodec> Available()
    {
        if (NativeLibrary.TryLoad(SnappyCodec.Library, out _))
        {
            yield return new SnappyCodec();
        }
        if (NativeLibrary.TryLoad(Lz4Codec.Library, out _))
        {
            yield return new Lz4Codec();
        }
        if (NativeLibrary.TryLoad(ZstdCodec.Library, out _))
        {
            yield return new ZstdCodec();
        }
    }

    /// <summary>A decompression target that grows up to a limit, so a small bomb cannot claim a huge buffer.</summary>
    internal sealed class BoundedOutput(int initialBytes, int maxBytes)
    {
        private byte[] _buffer = new byte[Math.Clamp(initialBytes, 256, maxBytes)];

        public int Length { get; private set; }

        public Span<byte> Free => _buffer.AsSpan(Length);

        public void Advance(int count) => Length += count;

        /// <summary>Makes room for at least <paramref name="bytes"/> more (or whatever the limit leaves, at least one).</summary>
        public void Grow(int bytes = 1)
        {
            if (_buffer.Length - Length >= bytes)
            {
                return;
            }
            if (_buffer.Length >= maxBytes)
            {
                throw new InvalidDataException($"Decompressed batch exceeds {maxBytes} bytes.");
            }
            var size = (int)Math.Min(maxBytes, Math.Max((long)_buffer.Length * 2, (long)Length + bytes));
            Array.Resize(ref _buffer, size);
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();
    }
}

/// <summary>
/// snappy. Producers send two framings (kafka-compatibility.md section 3): librdkafka raw snappy, Java and
/// kafka-python the snappy-java ("xerial") framing: magic <c>82 'SNAPPY' 00</c>, int32 version, int32 compatible
/// version, then blocks of <c>int32 length | raw snappy</c>. Both are read; writing uses the xerial framing, which
/// every client reads.
/// </summary>
internal sealed unsafe partial class SnappyCodec : ICompressionCodec
{
    public const string Library = "libsnappy.so.1";
    private static readonly byte[] XerialMagic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];
    private const int XerialHeaderBytes = 16;
    private const int XerialBlockBytes = 32 * 1024;

    public CompressionType Type => CompressionType.Snappy;

    public byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes)
    {
        if (!compressed.StartsWith(XerialMagic))
        {
            var output = new SystemCodecs.BoundedOutput(0, maxBytes);
            UncompressBlock(compressed, output, maxBytes);
            return output.ToArray();
        }
        var framed = new SystemCodecs.BoundedOutput(compressed.Length * 2, maxBytes);
        var p = XerialHeaderBytes;
        while (p < compressed.Length)
        {
            if (compressed.Length - p < 4)
            {
                throw new InvalidDataException("Truncated xerial snappy block length.");
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(compressed[p..]);
            p += 4;
            if (length < 0 || length > compressed.Length - p)
            {
                throw new InvalidDataException("Truncated xerial snappy block.");
            }
            UncompressBlock(compressed.Slice(p, length), framed, maxBytes);
            p += length;
        }
        return framed.ToArray();
    }

    public void Compress(ReadOnlySpan<byte> uncompressed, IBufferWriter<byte> destination)
    {
        var header = destination.GetSpan(XerialHeaderBytes);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        destination.Advance(XerialHeaderBytes);
        for (var p = 0; p < uncompressed.Length; p += XerialBlockBytes)
        {
            var block = uncompressed.Slice(p, Math.Min(XerialBlockBytes, uncompressed.Length - p));
            var bound = (int)SnappyMaxCompressedLength((nuint)block.Length);
            var span = destination.GetSpan(4 + bound);
            nuint written = (nuint)bound;
            fixed (byte* source = block)
            fixed (byte* target = span[4..])
            {
                if (SnappyCompress(source, (nuint)block.Length, target, ref written) != 0)
                {
                    throw new InvalidDataException("snappy compression failed.");
                }
            }
            BinaryPrimitives.WriteInt32BigEndian(span, (int)written);
            destination.Advance(4 + (int)written);
        }
    }

    private static void UncompressBlock(ReadOnlySpan<byte> block, SystemCodecs.BoundedOutput output, int maxBytes)
    {
        fixed (byte* source = block)
        {
            if (SnappyUncompressedLength(source, (nuint)block.Length, out var length) != 0 || length > (nuint)maxBytes)
            {
                throw new InvalidDataException("Invalid or oversized snappy block.");
            }
            output.Grow((int)length);
            var free = output.Free;
            nuint written = (nuint)free.Length;
            fixed (byte* target = free)
            {
                if (SnappyUncompress(source, (nuint)block.Length, target, ref written) != 0)
                {
                    throw new InvalidDataException("Invalid snappy block.");
                }
            }
            output.Advance((int)written);
        }
    }

    [LibraryImport(Library, EntryPoint = "snappy_compress")]
    private static partial int SnappyCompress(byte* input, nuint inputLength, byte* compressed, ref nuint compressedLength);

    [LibraryImport(Library, EntryPoint = "snappy_uncompress")]
    private static partial int SnappyUncompress(byte* compressed, nuint compressedLength, byte* uncompressed, ref nuint uncompressedLength);

    [LibraryImport(Library, EntryPoint = "snappy_max_compressed_length")]
    private static partial nuint SnappyMaxCompressedLength(nuint sourceLength);

    [LibraryImport(Library, EntryPoint = "snappy_uncompressed_length")]
    private static partial int SnappyUncompressedLength(byte* compressed, nuint compressedLength, out nuint result);
}

/// <summary>
/// lz4 in the LZ4 frame format, as Kafka writes it for magic 1 and 2 (Java's <c>KafkaLZ4BlockOutputStream</c>):
/// independent 64 KiB blocks, no content size or checksum, through liblz4's <c>LZ4F_*</c> API.
/// </summary>
internal sealed unsafe partial class Lz4Codec : ICompressionCodec
{
    public const string Library = "liblz4.so.1";
    private const uint Lz4FVersion = 100;

    public CompressionType Type => CompressionType.Lz4;

    public byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes)
    {
        if (IsError(CreateDecompressionContext(out var context, Lz4FVersion)))
        {
            throw new InvalidDataException("Cannot create an LZ4 decompression context.");
        }
        try
        {
            var output = new SystemCodecs.BoundedOutput(compressed.Length * 4, maxBytes);
            var p = 0;
            fixed (byte* source = compressed)
            {
                while (true)
                {
                    output.Grow(64 * 1024);
                    var free = output.Free;
                    nuint produced = (nuint)free.Length;
                    nuint consumed = (nuint)(compressed.Length - p);
                    nuint hint;
                    fixed (byte* target = free)
                    {
                        hint = Lz4Decompress(context, target, ref produced, source + p, ref consumed, null);
                    }
                    if (IsError(hint))
                    {
                        throw new InvalidDataException("Invalid LZ4 frame.");
                    }
                    output.Advance((int)produced);
                    p += (int)consumed;
                    if (hint == 0 || (p >= compressed.Length && produced == 0))
                    {
                        return output.ToArray();
                    }
                }
            }
        }
        finally
        {
            FreeDecompressionContext(context);
        }
    }

    public void Compress(ReadOnlySpan<byte> uncompressed, IBufferWriter<byte> destination)
    {
        var preferences = new Preferences { BlockSizeId = 4, BlockMode = 1 }; // max64KB, independent blocks
        var bound = (int)CompressFrameBound((nuint)uncompressed.Length, ref preferences);
        var span = destination.GetSpan(bound);
        nuint written;
        fixed (byte* source = uncompressed)
        fixed (byte* target = span)
        {
            written = CompressFrame(target, (nuint)span.Length, source, (nuint)uncompressed.Length, ref preferences);
        }
        if (IsError(written))
        {
            throw new InvalidDataException("LZ4 compression failed.");
        }
        destination.Advance((int)written);
    }

    private static bool IsError(nuint code) => IsErrorCode(code) != 0;

    /// <summary><c>LZ4F_preferences_t</c> of liblz4 1.9 (frame info, then level and flags).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Preferences
    {
        public int BlockSizeId;
        public int BlockMode;
        public int ContentChecksumFlag;
        public int FrameType;
        public ulong ContentSize;
        public uint DictionaryId;
        public int BlockChecksumFlag;
        public int CompressionLevel;
        public uint AutoFlush;
        public uint FavorDecompressionSpeed;
        public uint Reserved0;
        public uint Reserved1;
        public uint Reserved2;
    }

    [LibraryImport(Library, EntryPoint = "LZ4F_isError")]
    private static partial uint IsErrorCode(nuint code);

    [LibraryImport(Library, EntryPoint = "LZ4F_createDecompressionContext")]
    private static partial nuint CreateDecompressionContext(out nint context, uint version);

    [LibraryImport(Library, EntryPoint = "LZ4F_freeDecompressionContext")]
    private static partial nuint FreeDecompressionContext(nint context);

    [LibraryImport(Library, EntryPoint = "LZ4F_decompress")]
    private static partial nuint Lz4Decompress(nint context, byte* destination, ref nuint destinationSize, byte* source,
        ref nuint sourceSize, void* options);

    [LibraryImport(Library, EntryPoint = "LZ4F_compressFrameBound")]
    private static partial nuint CompressFrameBound(nuint sourceSize, ref Preferences preferences);

    [LibraryImport(Library, EntryPoint = "LZ4F_compressFrame")]
    private static partial nuint CompressFrame(byte* destination, nuint capacity, byte* source, nuint sourceSize, ref Preferences preferences);
}

/// <summary>zstd frames (one or several back to back, as streaming writers produce), through libzstd.</summary>
internal sealed unsafe partial class ZstdCodec : ICompressionCodec
{
    public const string Library = "libzstd.so.1";
    private const int Level = 3; // zstd's default level, as Kafka's

    public CompressionType Type => CompressionType.Zstd;

    public byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes)
    {
        var stream = CreateDStream();
        if (stream == 0)
        {
            throw new InvalidDataException("Cannot create a zstd decompression stream.");
        }
        try
        {
            InitDStream(stream);
            var output = new SystemCodecs.BoundedOutput(compressed.Length * 4, maxBytes);
            fixed (byte* source = compressed)
            {
                var input = new InBuffer { Source = source, Size = (nuint)compressed.Length, Position = 0 };
                while (true)
                {
                    output.Grow(64 * 1024);
                    var free = output.Free;
                    nuint result;
                    nuint produced;
                    fixed (byte* target = free)
                    {
                        var buffer = new OutBuffer { Destination = target, Size = (nuint)free.Length, Position = 0 };
                        result = DecompressStream(stream, ref buffer, ref input);
                        produced = buffer.Position;
                    }
                    if (IsError(result) != 0)
                    {
                        throw new InvalidDataException("Invalid zstd frame.");
                    }
                    output.Advance((int)produced);
                    if (input.Position >= input.Size && (result == 0 || produced == 0))
                    {
                        if (result != 0)
                        {
                            throw new InvalidDataException("Truncated zstd frame.");
                        }
                        return output.ToArray();
                    }
                }
            }
        }
        finally
        {
            FreeDStream(stream);
        }
    }

    public void Compress(ReadOnlySpan<byte> uncompressed, IBufferWriter<byte> destination)
    {
        var bound = (int)CompressBound((nuint)uncompressed.Length);
        var span = destination.GetSpan(bound);
        nuint written;
        fixed (byte* source = uncompressed)
        fixed (byte* target = span)
        {
            written = ZstdCompress(target, (nuint)span.Length, source, (nuint)uncompressed.Length, Level);
        }
        if (IsError(written) != 0)
        {
            throw new InvalidDataException("zstd compression failed.");
        }
        destination.Advance((int)written);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InBuffer
    {
        public byte* Source;
        public nuint Size;
        public nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OutBuffer
    {
        public byte* Destination;
        public nuint Size;
        public nuint Position;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    private static partial nuint CompressBound(nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_compress")]
    private static partial nuint ZstdCompress(byte* destination, nuint capacity, byte* source, nuint sourceSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_createDStream")]
    private static partial nint CreateDStream();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDStream")]
    private static partial nuint FreeDStream(nint stream);

    [LibraryImport(Library, EntryPoint = "ZSTD_initDStream")]
    private static partial nuint InitDStream(nint stream);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    private static partial nuint DecompressStream(nint stream, ref OutBuffer output, ref InBuffer input);
}
