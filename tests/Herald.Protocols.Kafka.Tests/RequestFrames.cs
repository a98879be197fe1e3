using System.Buffers;
using System.Buffers.Binary;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>Whole request frames (size prefix, header, body) decoded and re-encoded as a connection handler would.</summary>
internal static class RequestFrames
{
    /// <summary>Frames, then decodes header and body from one contiguous buffer into <paramref name="body"/>.</summary>
    public static (RequestHeader Header, short HeaderVersion, IKafkaMessage Body) Decode(byte[] bytes, IKafkaMessage body)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(KafkaFrameReader.TryReadFrame(ref buffer, 1 << 20, out var frame));
        Assert.True(buffer.IsEmpty);
        Assert.True(frame.IsSingleSegment);
        var reader = new KafkaReader(frame.First);
        var header = RequestHeader.ReadFrom(ref reader, out var headerVersion);
        body.Read(ref reader, header.RequestApiVersion);
        Assert.Equal(0, reader.Remaining);
        return (header, headerVersion, body);
    }

    public static byte[] Encode(RequestHeader header, short headerVersion, IKafkaMessage body)
    {
        var output = new ArrayBufferWriter<byte>();
        var size = header.GetSize(headerVersion) + body.GetSize(header.RequestApiVersion);
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), size);
        output.Advance(4);
        header.WriteTo(output, headerVersion);
        body.WriteTo(output, header.RequestApiVersion);
        return output.WrittenSpan.ToArray();
    }
}
