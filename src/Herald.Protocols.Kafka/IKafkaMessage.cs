using System.Buffers;

namespace Herald.Protocols.Kafka;

/// <summary>
/// A Kafka message body or header that encodes itself at any of its versions. Generated classes implement it;
/// instances are plain mutable objects, not thread-safe, meant to be filled, written once and dropped (or reused by
/// one connection). <see cref="Read"/> resets fields the version does not carry to their defaults.
/// </summary>
public interface IKafkaMessage
{
    void Read(ref KafkaReader reader, short version);

    void Write(ref KafkaWriter writer, short version);

    /// <summary>The exact number of bytes <see cref="Write"/> produces at <paramref name="version"/>.</summary>
    int GetSize(short version);
}

/// <summary>Size-then-write helpers over <see cref="IKafkaMessage"/>.</summary>
public static class KafkaMessageExtensions
{
    /// <summary>Encodes into a new array of exactly the message's size.</summary>
    public static byte[] ToArray(this IKafkaMessage message, short version)
    {
        var bytes = new byte[message.GetSize(version)];
        var writer = new KafkaWriter(bytes);
        message.Write(ref writer, version);
        return bytes;
    }

    /// <summary>Encodes into <paramref name="output"/> (one GetSpan, one Advance) and returns the size written.</summary>
    public static int WriteTo(this IKafkaMessage message, IBufferWriter<byte> output, short version)
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = message.GetSize(version);
        var writer = new KafkaWriter(output.GetSpan(size)[..size]);
        message.Write(ref writer, version);
        output.Advance(size);
        return size;
    }
}
