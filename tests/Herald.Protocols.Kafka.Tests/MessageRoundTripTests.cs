
namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Every generated message at every valid version: filled with non-default values for the fields the version
/// carries, written, read back and compared; GetSize must equal the bytes written and a second write must give the
/// same bytes.
/// </summary>
public class MessageRoundTripTests
{
    public static TheoryData<string, short> AllVersions() => MessageCatalog.AllVersions();

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Round_trips_with_every_field_set(string type, short version) =>
        RoundTrip(new SampleMessages().Create(type, version), type, version);

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Round_trips_with_nullable_fields_null(string type, short version) =>
        RoundTrip(new SampleMessages(nulls: true).Create(type, version), type, version);

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Round_trips_unknown_tagged_fields(string type, short version) =>
        RoundTrip(new SampleMessages(unknownTags: true).Create(type, version), type, version);

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Default_instance_round_trips(string type, short version) =>
        RoundTrip(MessageCatalog.Create(type), type, version);

    internal static byte[] RoundTrip(IKafkaMessage message, string type, short version)
    {
        var size = message.GetSize(version);
        var bytes = new byte[size];
        var writer = new KafkaWriter(bytes);
        message.Write(ref writer, version);
        Assert.Equal(size, writer.Position);

        // Zero-copy reader over memory, and the copying reader over a span: both must see the same message.
        var fromMemory = MessageCatalog.Create(type);
        var reader = new KafkaReader(bytes.AsMemory());
        fromMemory.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        MessageAssert.Equivalent(message, fromMemory);

        var fromSpan = MessageCatalog.Create(type);
        var spanReader = new KafkaReader(bytes.AsSpan());
        fromSpan.Read(ref spanReader, version);
        MessageAssert.Equivalent(message, fromSpan);

        Assert.Equal(bytes, fromMemory.ToArray(version));
        return bytes;
    }
}
