using Herald.Protocols.Kafka.Messages;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Hostile and broken input: every truncation of every sample message, lengths far beyond the frame, and random
/// corruption must end in <see cref="KafkaProtocolException"/>, never in another exception or a large allocation.
/// </summary>
public class MalformedInputTests
{
    public static TheoryData<string, short> AllVersions() => MessageCatalog.AllVersions();

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Every_truncation_throws_a_protocol_exception(string type, short version)
    {
        var bytes = new SampleMessages().Create(type, version).ToArray(version);
        for (var length = 0; length < bytes.Length; length++)
        {
            var message = MessageCatalog.Create(type);
            Assert.Throws<KafkaProtocolException>(() =>
            {
                var reader = new KafkaReader(bytes.AsMemory(0, length));
                message.Read(ref reader, version);
            });
        }
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Corrupted_input_fails_only_with_protocol_exceptions(string type, short version)
    {
        var original = new SampleMessages(unknownTags: true).Create(type, version).ToArray(version);
        if (original.Length == 0)
        {
            return;
        }
        var random = new Random(type.GetHashCode(StringComparison.Ordinal) ^ version);
        for (var round = 0; round < 64; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            var message = MessageCatalog.Create(type);
            try
            {
                var reader = new KafkaReader(bytes.AsMemory());
                message.Read(ref reader, version);
            }
            catch (KafkaProtocolException)
            {
                // The expected way to fail.
            }
        }
    }

    [Fact]
    public void Array_count_beyond_the_frame_throws_before_allocating()
    {
        // MetadataRequest v1: topics count int32.MaxValue, then nothing.
        byte[] bytes = [0x7F, 0xFF, 0xFF, 0xFF];
        var before = GC.GetAllocatedBytesForCurrentThread();
        var exception = Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            new MetadataRequest().Read(ref reader, 1);
        });
        Assert.Contains("array", exception.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Theory]
    [InlineData(new byte[] { 0x7F, 0xFF, (byte)'a' }, false)] // classic string: 32767 bytes announced, 1 present
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, true)] // compact: length 2^32 - 2
    [InlineData(new byte[] { 0x80, 0x80, 0x04 }, true)] // compact: 65535 > Kafka's int16 string limit
    [InlineData(new byte[] { 0xFF, 0xFE }, false)] // classic string length -2
    public void String_lengths_beyond_the_input_throw(byte[] bytes, bool compact)
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsSpan());
            reader.ReadNullableString(compact);
        });
    }

    [Theory]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3 }, false)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1 }, true)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE }, false)]
    public void Byte_lengths_beyond_the_input_throw(byte[] bytes, bool compact)
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            reader.ReadNullableBytes(compact);
        });
    }

    [Fact]
    public void Huge_records_length_in_a_produce_request_throws()
    {
        // ProduceRequest v3: null transactional id, acks, timeout, one topic "t", one partition whose records
        // length claims 2 GB.
        byte[] bytes =
        [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x75, 0x30,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, (byte)'t',
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x7F, 0xFF, 0xFF, 0xFF, 0x00,
        ];
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            new ProduceRequest().Read(ref reader, 3);
        });
    }

    [Fact]
    public void Huge_tagged_field_size_throws()
    {
        // ApiVersionsRequest v3: two empty compact strings, then one tagged field claiming 2^28 bytes.
        byte[] bytes = [0x01, 0x01, 0x01, 0x05, 0x80, 0x80, 0x80, 0x80, 0x01];
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            new ApiVersionsRequest().Read(ref reader, 3);
        });
    }

    [Fact]
    public void Null_where_the_schema_forbids_it_throws()
    {
        // ApiVersionsRequest v3: ClientSoftwareName is a non-nullable compact string; 0 means null.
        byte[] bytes = [0x00, 0x01, 0x00];
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            new ApiVersionsRequest().Read(ref reader, 3);
        });
    }

    [Fact]
    public void Unsupported_versions_throw()
    {
        Assert.Throws<KafkaProtocolException>(() => new ProduceRequest().GetSize(12));
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(ReadOnlySpan<byte>.Empty);
            new ProduceRequest().Read(ref reader, -1);
        });
    }
}
