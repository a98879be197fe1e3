using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;
using Herald.Storage.Compression;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// The storage codecs (gzip in .NET; snappy, lz4, zstd through the system libraries) against librdkafka: they decode
/// what kcat compresses, and kcat decodes what they compress. Produce and fetch never call them; compaction and
/// time lookups do.
/// </summary>
public sealed class CodecTests(KafkaNode node) : IClassFixture<KafkaNode>
{
    [Theory]
    [InlineData("gzip", CompressionType.Gzip)]
    [InlineData("snappy", CompressionType.Snappy)]
    [InlineData("zstd", CompressionType.Zstd)]
    public async Task The_storage_codecs_decode_batches_librdkafka_compressed(string codec, CompressionType type)
    {
        var topic = KafkaNode.UniqueTopic("dec-" + codec);
        var values = Enumerable.Range(0, 100).Select(i => $"record {i} {new string('z', i)}").ToArray();
        var produced = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-P", "-X", $"compression.codec={codec}", "-X", "linger.ms=50"],
            ClientProcess.Lines(values));
        Assert.True(produced.ExitCode == 0, produced.Describe());
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var fetched = await client.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(topic, 0, partitionMaxBytes: 10 << 20));

        var bytes = fetched.Responses[0].Partitions[0].Records!.Value.ToArray();
        var decoded = new List<string>();
        var compressedBatches = 0;
        for (var p = 0; p < bytes.Length;)
        {
            RecordBatchHeader.TryRead(bytes.AsSpan(p), out var header);
            // librdkafka sends a batch uncompressed when compressing would not make it smaller.
            Assert.Contains(header.Compression, new[] { type, CompressionType.None });
            compressedBatches += header.Compression == type ? 1 : 0;
            using var records = CompressionCodecs.Default.OpenRecords(bytes.AsSpan(p));
            Assert.True(records.IsAvailable, $"no {codec} codec registered");
            var reader = new RecordReader(records.Span);
            while (reader.TryReadNext(out var record))
            {
                decoded.Add(Encoding.UTF8.GetString(record.Value));
            }
            p += (int)header.TotalSize;
        }
        Assert.Equal(values, decoded);
        Assert.True(compressedBatches > 0, $"librdkafka compressed no batch with {codec}");
    }

    /// <summary>
    /// librdkafka 2.0.2 enables lz4 only when the broker advertises FindCoordinator v0 (kafka-compatibility.md 1.2),
    /// which comes with consumer groups; until then it sends lz4-configured batches uncompressed. The lz4 tool
    /// writes the same LZ4 frame format.
    /// </summary>
    [Fact]
    public async Task The_lz4_codec_decodes_frames_the_lz4_tool_wrote()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i} {new string('r', i % 70)}\n"));
        var input = Path.Combine(Path.GetTempPath(), $"herald-lz4-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(input, text);
        try
        {
            var compressed = await ClientProcess.RunAsync("/usr/bin/lz4", ["-q", "-f", input, input + ".lz4"]);
            Assert.True(compressed.ExitCode == 0, compressed.Describe());

            var decoded = CompressionCodecs.Default.Get(CompressionType.Lz4)!.Decompress(await File.ReadAllBytesAsync(input + ".lz4"), 1 << 24);

            Assert.Equal(text, Encoding.UTF8.GetString(decoded));
        }
        finally
        {
            File.Delete(input);
            File.Delete(input + ".lz4");
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Librdkafka_decodes_batches_the_storage_codecs_compressed(CompressionType type)
    {
        var topic = KafkaNode.UniqueTopic("enc-" + type.ToString().ToLowerInvariant());
        await Batches.CreateTopicAsync(node.Port, topic);
        var values = Enumerable.Range(0, 300).Select(i => $"value {i} {new string('q', i % 97)}").ToArray();
        await using var client = await RawKafkaClient.ConnectAsync(node.Port);

        var response = await client.RequestAsync<ProduceResponse>(ApiKey.Produce, 7, Batches.Produce(topic, Compressed(type, values)));
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%s\\n"]);

        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(values, consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A batch of <paramref name="values"/> whose records are compressed with the storage codec for <paramref name="type"/>.</summary>
    private static byte[] Compressed(CompressionType type, string[] values)
    {
        var builder = new RecordBatchBuilder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        builder.Reset(now);
        foreach (var value in values)
        {
            builder.Add(now, "k"u8, Encoding.UTF8.GetBytes(value));
        }
        var plain = builder.Build();
        var codec = CompressionCodecs.Default.Get(type);
        Assert.NotNull(codec);
        var output = new ArrayBufferWriter<byte>();
        output.Write(plain[..RecordBatch.HeaderSize]);
        codec.Compress(plain[RecordBatch.HeaderSize..], output);
        var batch = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.LengthPosition), batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatch.AttributesPosition), (short)type);
        RecordBatch.UpdateCrc(batch);
        return batch;
    }
}
