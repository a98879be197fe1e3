using System.Buffers.Binary;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Request frames captured from real clients (librdkafka through confluent-kafka-python and kcat, kafka-python,
/// kafkajs) by Fixtures/capture.py: the first frame of every API and version each client sent during the interop
/// tests' scenarios, and a Produce per compression codec. Each must decode with nothing left over and re-encode byte
/// for byte, which proves the generated codec reads every field those clients write, tagged fields included.
/// </summary>
public class CapturedClientFixtureTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.bin", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Root, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Captured_request_decodes_and_re_encodes_byte_for_byte(string fixture)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Root, fixture));
        var type = ApiMessageTypes.Get(BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(4)));
        var (header, headerVersion, body) = RequestFrames.Decode(bytes, type.CreateRequest());
        Assert.Equal(type.GetRequestHeaderVersion(header.RequestApiVersion), headerVersion);
        Assert.Equal(bytes, RequestFrames.Encode(header, headerVersion, body));
    }

    [Theory]
    [InlineData("librdkafka", 15)]
    [InlineData("kafka-python", 12)]
    [InlineData("kafkajs", 12)]
    [InlineData("kcat", 5)]
    public void Every_client_has_its_fixtures(string client, int atLeast)
    {
        var files = Directory.GetFiles(Path.Combine(Root, client), "*.bin");
        Assert.True(files.Length >= atLeast, $"{client} has {files.Length} fixtures; run Fixtures/capture.py");
    }

    [Theory]
    [InlineData("librdkafka/00-Produce-v7-none.bin", CompressionType.None)]
    [InlineData("librdkafka/00-Produce-v7-gzip.bin", CompressionType.Gzip)]
    [InlineData("librdkafka/00-Produce-v7-snappy.bin", CompressionType.Snappy)]
    [InlineData("librdkafka/00-Produce-v7-lz4.bin", CompressionType.Lz4)]
    [InlineData("librdkafka/00-Produce-v7-zstd.bin", CompressionType.Zstd)]
    [InlineData("kcat/00-Produce-v7-gzip.bin", CompressionType.Gzip)]
    [InlineData("kcat/00-Produce-v7-snappy.bin", CompressionType.Snappy)]
    [InlineData("kcat/00-Produce-v7-lz4.bin", CompressionType.Lz4)]
    [InlineData("kcat/00-Produce-v7-zstd.bin", CompressionType.Zstd)]
    public void Captured_produce_carries_valid_batches_in_the_clients_codec(string fixture, CompressionType codec)
    {
        var (_, _, body) = RequestFrames.Decode(File.ReadAllBytes(Path.Combine(Root, fixture)), new ProduceRequest());
        var batches = 0;
        foreach (var topic in ((ProduceRequest)body).TopicData)
        {
            foreach (var partition in topic.PartitionData)
            {
                var records = partition.Records!.Value.Span;
                while (!records.IsEmpty)
                {
                    Assert.True(RecordBatchHeader.TryRead(records, out var header));
                    var batch = records[..(int)header.TotalSize];
                    Assert.Equal(2, header.Magic);
                    Assert.True(RecordBatch.IsCrcValid(batch));
                    Assert.Equal(codec, header.Compression);
                    records = records[batch.Length..];
                    batches++;
                }
            }
        }
        Assert.True(batches > 0);
    }
}
