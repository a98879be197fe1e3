using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Herald.Primitives.Records;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Whole request frames assembled by hand from the protocol guide, the way real clients send them; each must decode
/// to the expected values and re-encode byte for byte. (Frames captured from live clients are in CapturedClientFixtureTests.)
/// </summary>
public class GoldenFixtureTests
{
    /// <summary>librdkafka 2.0.2's first request on a connection: ApiVersions v3, header v2.</summary>
    private static readonly byte[] ApiVersionsV3FromLibrdkafka =
    [
        0x00, 0x00, 0x00, 0x24, // frame size 36
        0x00, 0x12, // api key 18 (ApiVersions)
        0x00, 0x03, // api version 3
        0x00, 0x00, 0x00, 0x01, // correlation id 1
        0x00, 0x07, .. "rdkafka"u8, // client id: classic int16-length string, even in header v2
        0x00, // header tagged fields: none
        0x0B, .. "librdkafka"u8, // ClientSoftwareName: compact string, length 10 + 1
        0x06, .. "2.0.2"u8, // ClientSoftwareVersion: compact string, length 5 + 1
        0x00, // body tagged fields: none
    ];

    /// <summary>kafka-python 2.0.2's metadata request: Metadata v1, header v1, one topic.</summary>
    private static readonly byte[] MetadataV1FromKafkaPython =
    [
        0x00, 0x00, 0x00, 0x26, // frame size 38
        0x00, 0x03, // api key 3 (Metadata)
        0x00, 0x01, // api version 1
        0x00, 0x00, 0x00, 0x02, // correlation id 2
        0x00, 0x12, .. "kafka-python-2.0.2"u8, // client id
        0x00, 0x00, 0x00, 0x01, // topics: int32 count 1 (null would mean all topics in v1)
        0x00, 0x04, .. "test"u8, // topic name
    ];

    [Fact]
    public void ApiVersions_v3_from_librdkafka()
    {
        var (header, headerVersion, body) = Decode<ApiVersionsRequest>(ApiVersionsV3FromLibrdkafka);
        Assert.Equal(2, headerVersion);
        Assert.Equal(ApiKey.ApiVersions, header.ApiKey);
        Assert.Equal(1, header.CorrelationId);
        Assert.Equal("rdkafka", header.ClientId);
        Assert.Equal("librdkafka", body.ClientSoftwareName);
        Assert.Equal("2.0.2", body.ClientSoftwareVersion);
        Assert.Null(body.UnknownTaggedFields);
        Assert.Equal(ApiVersionsV3FromLibrdkafka, Encode(header, headerVersion, body));
    }

    [Fact]
    public void Metadata_v1_from_kafka_python()
    {
        var (header, headerVersion, body) = Decode<MetadataRequest>(MetadataV1FromKafkaPython);
        Assert.Equal(1, headerVersion);
        Assert.Equal("kafka-python-2.0.2", header.ClientId);
        Assert.Equal("test", Assert.Single(body.Topics!).Name);
        Assert.Equal(MetadataV1FromKafkaPython, Encode(header, headerVersion, body));
    }

    [Fact]
    public void Metadata_v1_for_all_topics_has_a_null_topic_array()
    {
        byte[] frame = [0x00, 0x00, 0x00, 0x0E, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        var (header, headerVersion, body) = Decode<MetadataRequest>(frame);
        Assert.Null(header.ClientId);
        Assert.Null(body.Topics);
        Assert.Equal(frame, Encode(header, headerVersion, body));
    }

    [Fact]
    public void Produce_v3_with_one_record_batch()
    {
        var batch = OneRecordBatch();
        var frame = ProduceV3Frame(batch);
        var (header, headerVersion, body) = Decode<ProduceRequest>(frame);
        Assert.Equal(1, headerVersion);
        Assert.Null(body.TransactionalId);
        Assert.Equal(-1, body.Acks);
        Assert.Equal(30000, body.TimeoutMs);
        var topic = Assert.Single(body.TopicData);
        Assert.Equal("test", topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        Assert.Equal(0, partition.Index);
        Assert.Equal(batch, partition.Records!.Value.ToArray());

        // The records stay a slice of the frame: no copy, no decoding.
        Assert.True(MemoryMarshal.TryGetArray(partition.Records.Value, out var segment));
        Assert.Same(frame, segment.Array);
        Assert.Equal(frame.Length - batch.Length, segment.Offset);
        Assert.Equal(RecordBatch.ComputeCrc(batch), BinaryPrimitives.ReadUInt32BigEndian(batch.AsSpan(RecordBatch.CrcPosition)));

        Assert.Equal(frame, Encode(header, headerVersion, body));
    }

    /// <summary>
    /// A v2 record batch (kafka-compatibility.md §2) holding one record: no key, value "hello", as librdkafka
    /// writes it (partition leader epoch 0, not idempotent).
    /// </summary>
    private static byte[] OneRecordBatch()
    {
        byte[] record =
        [
            0x16, // record length 11 (zigzag varint)
            0x00, // attributes
            0x00, // timestamp delta 0
            0x00, // offset delta 0
            0x01, // key length -1: null key
            0x0A, .. "hello"u8, // value length 5
            0x00, // header count 0
        ];
        byte[] batch =
        [
            0, 0, 0, 0, 0, 0, 0, 0, // base offset 0
            0, 0, 0, 0x3D, // batch length 61 = 49 header bytes after this field + 12 record bytes
            0, 0, 0, 0, // partition leader epoch
            0x02, // magic
            0, 0, 0, 0, // CRC-32C, filled in below
            0x00, 0x00, // attributes: no compression, create time
            0, 0, 0, 0, // last offset delta
            0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // base timestamp
            0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // max timestamp
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producer id -1
            0xFF, 0xFF, // producer epoch -1
            0xFF, 0xFF, 0xFF, 0xFF, // base sequence -1
            0, 0, 0, 1, // record count
            .. record,
        ];
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatch.CrcPosition), Crc32C.Compute(batch.AsSpan(RecordBatch.AttributesPosition)));
        return batch;
    }

    private static byte[] ProduceV3Frame(byte[] batch)
    {
        byte[] body =
        [
            0x00, 0x00, // api key 0 (Produce)
            0x00, 0x03, // api version 3
            0x00, 0x00, 0x00, 0x05, // correlation id 5
            0x00, 0x07, .. "rdkafka"u8, // client id
            0xFF, 0xFF, // transactional id: null
            0xFF, 0xFF, // acks -1
            0x00, 0x00, 0x75, 0x30, // timeout 30000 ms
            0x00, 0x00, 0x00, 0x01, // one topic
            0x00, 0x04, .. "test"u8,
            0x00, 0x00, 0x00, 0x01, // one partition
            0x00, 0x00, 0x00, 0x00, // partition 0
            .. BigEndian(batch.Length), // records: int32 length, then the batch
            .. batch,
        ];
        return [.. BigEndian(body.Length), .. body];
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static (RequestHeader Header, short HeaderVersion, T Body) Decode<T>(byte[] bytes) where T : IKafkaMessage, new()
    {
        var (header, headerVersion, body) = RequestFrames.Decode(bytes, new T());
        return (header, headerVersion, (T)body);
    }

    private static byte[] Encode(RequestHeader header, short headerVersion, IKafkaMessage body) =>
        RequestFrames.Encode(header, headerVersion, body);
}
