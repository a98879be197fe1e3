using Herald.Protocols.Kafka.Messages;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>Header versions per API version, ignorable fields and nullability by version.</summary>
public class VersionRulesTests
{
    [Theory]
    [InlineData(ApiKey.Produce, 8, 1, 0)]
    [InlineData(ApiKey.Produce, 9, 2, 1)]
    [InlineData(ApiKey.Produce, 11, 2, 1)]
    [InlineData(ApiKey.Metadata, 1, 1, 0)]
    [InlineData(ApiKey.Metadata, 9, 2, 1)]
    [InlineData(ApiKey.Fetch, 12, 2, 1)]
    [InlineData(ApiKey.ApiVersions, 0, 1, 0)]
    [InlineData(ApiKey.ApiVersions, 3, 2, 0)] // the ApiVersions response header is always v0 (KIP-511)
    [InlineData(ApiKey.ApiVersions, 4, 2, 0)]
    [InlineData(ApiKey.ApiVersions, 9, 2, 0)] // a version newer than the schemas is still flexible
    [InlineData(ApiKey.ControlledShutdown, 0, 0, 0)] // the only request header v0
    [InlineData(ApiKey.ControlledShutdown, 1, 1, 0)]
    [InlineData(ApiKey.SaslHandshake, 1, 1, 0)] // never flexible
    public void Header_versions_follow_flexible_versions(ApiKey api, short version, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, RequestHeader.GetHeaderVersion(api, version));
        Assert.Equal(responseHeader, ResponseHeader.GetHeaderVersion(api, version));
    }

    [Fact]
    public void Every_api_uses_header_v2_exactly_in_its_flexible_versions()
    {
        foreach (var api in ApiMessageTypes.All)
        {
            for (var version = api.LowestSupportedVersion; version <= api.HighestSupportedVersion; version++)
            {
                var expected = api.IsFlexible(version) ? 2 : api.ApiKey == ApiKey.ControlledShutdown && version == 0 ? 0 : 1;
                Assert.Equal(expected, api.GetRequestHeaderVersion(version));
            }
        }
    }

    [Fact]
    public void Request_header_is_read_at_the_version_its_api_needs()
    {
        // Produce v9, correlation 42, client "c", empty header tagged section: header v2.
        byte[] bytes = [0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x01, (byte)'c', 0x00, 0xEE];
        var reader = new KafkaReader(bytes.AsMemory());
        var header = RequestHeader.ReadFrom(ref reader, out var headerVersion);
        Assert.Equal(2, headerVersion);
        Assert.Equal(ApiKey.Produce, header.ApiKey);
        Assert.Equal(42, header.CorrelationId);
        Assert.Equal("c", header.ClientId);
        Assert.Equal(1, reader.Remaining); // the body starts at 0xEE
    }

    [Fact]
    public void Request_header_with_an_unknown_api_key_throws()
    {
        byte[] bytes = [0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF];
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes.AsMemory());
            RequestHeader.ReadFrom(ref reader, out _);
        });
    }

    [Fact]
    public void Client_id_keeps_the_classic_encoding_in_header_v2()
    {
        var header = new RequestHeader { RequestApiKey = 18, RequestApiVersion = 3, CorrelationId = 1, ClientId = "ab" };
        Assert.Equal(new byte[] { 0, 18, 0, 3, 0, 0, 0, 1, 0, 2, (byte)'a', (byte)'b', 0 }, header.ToArray(2));
    }

    [Fact]
    public void Non_default_value_in_a_version_without_the_field_throws()
    {
        var request = new ProduceRequest { TransactionalId = "txn" }; // v3+, not ignorable
        Assert.Throws<KafkaProtocolException>(() => request.ToArray(2));
        request.TransactionalId = null;
        Assert.NotEmpty(request.ToArray(2));
    }

    [Fact]
    public void Ignorable_field_is_dropped_in_a_version_without_it()
    {
        var response = new ApiVersionsResponse { ThrottleTimeMs = 100 }; // v1+, ignorable
        var bytes = response.ToArray(0);
        var copy = new ApiVersionsResponse();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 0);
        Assert.Equal(0, copy.ThrottleTimeMs);
    }

    [Fact]
    public void Null_in_a_version_where_the_field_is_not_nullable_throws()
    {
        var request = new MetadataRequest { Topics = null }; // nullable from v1
        Assert.Throws<KafkaProtocolException>(() => request.ToArray(0));
        var bytes = request.ToArray(1);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, bytes);
        var copy = new MetadataRequest();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 1);
        Assert.Null(copy.Topics);
    }

    [Fact]
    public void Nullable_strings_and_records_round_trip_as_null()
    {
        var request = new ProduceRequest
        {
            TransactionalId = null,
            TopicData = [new ProduceRequest.TopicProduceData { Name = "t", PartitionData = [new ProduceRequest.PartitionProduceData { Records = null }] }],
        };
        foreach (short version in (short[])[3, 9])
        {
            var copy = new ProduceRequest { TransactionalId = "stale" };
            var reader = new KafkaReader(request.ToArray(version).AsMemory());
            copy.Read(ref reader, version);
            Assert.Null(copy.TransactionalId);
            Assert.Null(copy.TopicData[0].PartitionData[0].Records);
        }
    }

    [Fact]
    public void Read_resets_fields_the_version_does_not_carry()
    {
        var request = new ProduceRequest { TransactionalId = "left over" };
        var bytes = new ProduceRequest().ToArray(2);
        var reader = new KafkaReader(bytes.AsMemory());
        request.Read(ref reader, 2);
        Assert.Null(request.TransactionalId);
    }
}
