using System.Buffers.Binary;
using System.Text;
using Herald.Broker.Groups;

namespace Herald.Frontends.Kafka;

/// <summary>
/// Reads the topics out of a Kafka consumer's group metadata (AK ConsumerProtocolSubscription, every version starts
/// alike and is not flexible: version i16, then an array (i32 count) of topic names (i16 length + UTF-8); later
/// fields are not needed). Only groups of protocol type "consumer" carry it, as only those are checked by Kafka's
/// OffsetDelete. Stateless; one shared instance.
/// </summary>
internal sealed class KafkaConsumerSubscription : ISubscriptionFormat
{
    public static KafkaConsumerSubscription Instance { get; } = new();

    public bool Understands(string protocolType) => protocolType == "consumer";

    public IReadOnlyCollection<string>? TopicsOf(byte[] metadata)
    {
        var span = metadata.AsSpan();
        if (span.Length < 6 || BinaryPrimitives.ReadInt16BigEndian(span) < 0)
        {
            return null;
        }
        var count = BinaryPrimitives.ReadInt32BigEndian(span[2..]);
        var p = 6;
        if (count < 0 || count > span.Length)
        {
            return null;
        }
        var topics = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            if (span.Length < p + 2)
            {
                return null;
            }
            int length = BinaryPrimitives.ReadInt16BigEndian(span[p..]);
            if (length < 0 || span.Length < p + 2 + length)
            {
                return null;
            }
            topics.Add(Encoding.UTF8.GetString(span.Slice(p + 2, length)));
            p += 2 + length;
        }
        return topics;
    }
}
