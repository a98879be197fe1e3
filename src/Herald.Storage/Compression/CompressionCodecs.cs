using System.Buffers;
using System.IO.Compression;
using Herald.Primitives.Records;

namespace Herald.Storage.Compression;

/// <summary>
/// One record-batch compression codec. The broker never recompresses what producers send (batches are stored as
/// received); codecs are used only where the broker must read records: compaction, timestamp lookups, and
/// validation that needs record contents.
/// </summary>
public interface ICompressionCodec
{
    CompressionType Type { get; }

    /// <summary>Decompresses a whole batch body. Throws <see cref="InvalidDataException"/> on bad input or when the
    /// output would exceed <paramref name="maxBytes"/> (a decompression bomb).</summary>
    byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes);

    void Compress(ReadOnlySpan<byte> uncompressed, IBufferWriter<byte> destination);
}

/// <summary>
/// The codecs a log may use to read record bodies, by <see cref="CompressionType"/>. Immutable; build one with the
/// codecs available in the process (the Kafka front end adds snappy, lz4 and zstd from system libraries).
/// </summary>
public sealed class CompressionCodecs
{
    /// <summary>Largest decompressed batch body the broker agrees to materialize (rule H8).</summary>
    public const int MaxDecompressedBytes = 128 * 1024 * 1024;

    private readonly ICompressionCodec?[] _codecs = new ICompressionCodec?[8];

    public CompressionCodecs(IEnumerable<ICompressionCodec> codecs)
    {
        foreach (var codec in codecs)
        {
            _codecs[(int)codec.Type] = codec;
        }
    }

    /// <summary>gzip from the base library, plus snappy, lz4 and zstd where their system libraries are installed.</summary>
    public static CompressionCodecs Default { get; } = new([new GzipCodec(), .. SystemCodecs.Available()]);

    public ICompressionCodec? Get(CompressionType type) => (int)type < _codecs.Length ? _codecs[(int)type] : null;

    /// <summary>
    /// The uncompressed record bytes of a whole batch: a view of the batch itself when it is not compressed, a
    /// decompressed copy otherwise. <see cref="BatchRecords.IsAvailable"/> is false when no codec is registered
    /// for the batch's compression.
    /// </summary>
    public BatchRecords OpenRecords(ReadOnlySpan<byte> batch)
    {
        RecordBatchHeader.TryRead(batch, out var header);
        var body = batch[RecordBatch.HeaderSize..(int)header.TotalSize];
        if (header.Compression == CompressionType.None)
        {
            return new BatchRecords(body, true);
        }
        var codec = Get(header.Compression);
        return codec is null ? new BatchRecords(default, false) : new BatchRecords(codec.Decompress(body, MaxDecompressedBytes), true);
    }
}

/// <summary>Uncompressed records of one batch; see <see cref="CompressionCodecs.OpenRecords"/>.</summary>
public readonly ref struct BatchRecords
{
    public BatchRecords(ReadOnlySpan<byte> span, bool isAvailable)
    {
        Span = span;
        IsAvailable = isAvailable;
    }

    public ReadOnlySpan<byte> Span { get; }

    public bool IsAvailable { get; }

    public void Dispose()
    {
    }
}

/// <summary>gzip as Kafka writes it (RFC 1952), through the base library's <see cref="GZipStream"/>.</summary>
public sealed class GzipCodec : ICompressionCodec
{
    public CompressionType Type => CompressionType.Gzip;

    public byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes)
    {
        using var input = new MemoryStream(compressed.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + n > maxBytes)
                {
                    throw new InvalidDataException($"Decompressed batch exceeds {maxBytes} bytes.");
                }
                output.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return output.ToArray();
    }

    public void Compress(ReadOnlySpan<byte> uncompressed, IBufferWriter<byte> destination)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(uncompressed);
        }
        destination.Write(output.GetBuffer().AsSpan(0, (int)output.Length));
    }
}
