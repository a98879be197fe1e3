using Herald.Protocols.Kafka.Messages;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>Tagged fields (KIP-482): unknown tags survive, known tags are sent only when non-default, in tag order.</summary>
public class TaggedFieldTests
{
    [Fact]
    public void Unknown_tags_survive_a_read_and_a_write_byte_for_byte()
    {
        // ApiVersionsRequest v3 from a future client: the body's tagged section carries tags 0 and 9 we do not know.
        byte[] bytes =
        [
            0x03, (byte)'c', (byte)'l', // ClientSoftwareName "cl"
            0x02, (byte)'1', // ClientSoftwareVersion "1"
            0x02, // two tagged fields
            0x00, 0x02, 0xAB, 0xCD, // tag 0, 2 bytes
            0x09, 0x00, // tag 9, empty
        ];
        var request = new ApiVersionsRequest();
        var reader = new KafkaReader(bytes.AsMemory());
        request.Read(ref reader, 3);

        Assert.Equal("cl", request.ClientSoftwareName);
        Assert.NotNull(request.UnknownTaggedFields);
        Assert.Equal([0, 9], request.UnknownTaggedFields.Select(f => f.Tag));
        Assert.Equal(bytes, request.ToArray(3));
    }

    [Fact]
    public void Unknown_tags_and_known_tags_are_written_in_ascending_order()
    {
        var response = new ApiVersionsResponse
        {
            FinalizedFeaturesEpoch = 7, // tag 1
            ZkMigrationReady = true, // tag 3
            UnknownTaggedFields = [new RawTaggedField(4, new byte[] { 0x55 }), new RawTaggedField(40, new byte[] { 0x66 })],
        };
        var bytes = response.ToArray(3);
        // ErrorCode, empty compact array, ThrottleTimeMs, then the tagged section: count 4, tags 1, 3, 4, 40.
        byte[] expectedTags = [0x04, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 7, 0x03, 0x01, 0x01, 0x04, 0x01, 0x55, 0x28, 0x01, 0x66];
        Assert.Equal(expectedTags, bytes[^expectedTags.Length..]);

        var copy = new ApiVersionsResponse();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 3);
        Assert.Equal(7, copy.FinalizedFeaturesEpoch);
        Assert.True(copy.ZkMigrationReady);
        Assert.Equal([4, 40], copy.UnknownTaggedFields!.Select(f => f.Tag));
        Assert.Equal(bytes, copy.ToArray(3));
    }

    [Fact]
    public void A_tag_known_only_in_later_versions_is_kept_as_unknown()
    {
        // FetchRequest v12 knows tag 0 (ClusterId); tag 1 (ReplicaState) only exists from v15.
        var request = new FetchRequest
        {
            ClusterId = "c",
            UnknownTaggedFields = [new RawTaggedField(1, new byte[] { 0x00, 0x00, 0x00, 0x01, 0x00 })],
        };
        var bytes = request.ToArray(12);
        var copy = new FetchRequest();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 12);
        Assert.Equal("c", copy.ClusterId);
        Assert.Equal(1, Assert.Single(copy.UnknownTaggedFields!).Tag);
        Assert.Equal(-1, copy.ReplicaState.ReplicaId);
        Assert.Equal(bytes, copy.ToArray(12));
    }

    [Fact]
    public void Writer_interleaves_unknown_fields_below_each_known_tag()
    {
        List<RawTaggedField> unknown = [new(0, new byte[] { 0xA }), new(2, new byte[] { 0xB }), new(9, new byte[] { 0xC })];
        var buffer = new byte[32];
        var writer = new KafkaWriter(buffer);
        var next = 0;
        writer.WriteUnknownTaggedFields(unknown, ref next, 1);
        writer.WriteTaggedFieldHeader(1, 0); // a known field with an empty value
        writer.WriteUnknownTaggedFields(unknown, ref next, int.MaxValue);
        Assert.Equal(new byte[] { 0, 1, 0xA, 1, 0, 2, 1, 0xB, 9, 1, 0xC }, writer.Written.ToArray());
    }

    [Fact]
    public void Known_tags_are_omitted_when_they_hold_their_default()
    {
        var response = new ApiVersionsResponse();
        Assert.Equal(-1, response.FinalizedFeaturesEpoch);
        var bytes = response.ToArray(3);
        // ErrorCode (2), empty compact array (1), ThrottleTimeMs (4), empty tagged section (1).
        Assert.Equal(8, bytes.Length);
        Assert.Equal(0, bytes[^1]);
    }

    [Fact]
    public void Tagged_struct_is_sent_only_when_not_default()
    {
        var partition = new FetchResponse.PartitionData();
        var withoutLeader = partition.GetSize(12);
        partition.CurrentLeader.LeaderEpoch = 5;
        Assert.True(partition.GetSize(12) > withoutLeader);

        var bytes = new byte[partition.GetSize(12)];
        var writer = new KafkaWriter(bytes);
        partition.Write(ref writer, 12);
        var copy = new FetchResponse.PartitionData();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 12);
        Assert.Equal(5, copy.CurrentLeader.LeaderEpoch);
        Assert.Equal(-1, copy.CurrentLeader.LeaderId);
    }

    [Fact]
    public void Unknown_tags_in_nested_structs_survive()
    {
        var request = new MetadataRequest
        {
            Topics = [new MetadataRequest.MetadataRequestTopic { Name = "t", UnknownTaggedFields = [new RawTaggedField(5, new byte[] { 1, 2, 3 })] }],
        };
        var bytes = request.ToArray(12);
        var copy = new MetadataRequest();
        var reader = new KafkaReader(bytes.AsMemory());
        copy.Read(ref reader, 12);
        var field = Assert.Single(copy.Topics![0].UnknownTaggedFields!);
        Assert.Equal(5, field.Tag);
        Assert.Equal([1, 2, 3], field.Data.ToArray());
        Assert.Equal(bytes, copy.ToArray(12));
    }
}
