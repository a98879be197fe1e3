using System.Buffers;
using System.Buffers.Binary;

namespace Herald.Protocols.Amqp.Frames;

/// <summary>
/// Writes whole frames into an <see cref="IBufferWriter{T}"/> (a connection's PipeWriter): size first, one
/// <c>GetSpan</c> per frame, write once. The caller serializes writers of one connection. Stateless.
/// </summary>
public static class AmqpFrameWriter
{
    public static void WriteProtocolHeader(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(AmqpProtocolHeader.Bytes);
    }

    public static void WriteHeartbeat(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(AmqpFrame.Overhead);
        WriteFrameHeader(span, AmqpConstants.FrameHeartbeat, 0, 0);
        span[AmqpFrame.HeaderSize] = AmqpConstants.FrameEnd;
        output.Advance(AmqpFrame.Overhead);
    }

    /// <summary>A method frame: class id, method id, arguments.</summary>
    public static void WriteMethod<TMethod>(IBufferWriter<byte> output, ushort channel, in TMethod method)
        where TMethod : struct, IAmqpMethod
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = 4 + method.GetSize();
        var span = output.GetSpan(size + AmqpFrame.Overhead);
        WriteFrameHeader(span, AmqpConstants.FrameMethod, channel, (uint)size);
        var writer = new AmqpWriter(span.Slice(AmqpFrame.HeaderSize, size));
        writer.WriteShort(TMethod.ProtocolClassId);
        writer.WriteShort(TMethod.ProtocolMethodId);
        method.Write(ref writer);
        span[AmqpFrame.HeaderSize + size] = AmqpConstants.FrameEnd;
        output.Advance(size + AmqpFrame.Overhead);
    }

    /// <summary>A content header frame with properties already encoded (flags word first), as stored from a publish.</summary>
    public static void WriteContentHeader(IBufferWriter<byte> output, ushort channel, ushort classId, ulong bodySize, ReadOnlySpan<byte> propertyBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = AmqpContentHeader.FixedSize + propertyBytes.Length;
        var span = output.GetSpan(size + AmqpFrame.Overhead);
        WriteFrameHeader(span, AmqpConstants.FrameHeader, channel, (uint)size);
        var writer = new AmqpWriter(span.Slice(AmqpFrame.HeaderSize, size));
        writer.WriteShort(classId);
        writer.WriteShort(0);
        writer.WriteLongLong(bodySize);
        writer.WriteBytes(propertyBytes);
        span[AmqpFrame.HeaderSize + size] = AmqpConstants.FrameEnd;
        output.Advance(size + AmqpFrame.Overhead);
    }

    /// <summary>A basic content header frame from decoded properties.</summary>
    public static void WriteContentHeader(IBufferWriter<byte> output, ushort channel, ulong bodySize, in BasicProperties properties)
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = AmqpContentHeader.FixedSize + properties.GetSize();
        var span = output.GetSpan(size + AmqpFrame.Overhead);
        WriteFrameHeader(span, AmqpConstants.FrameHeader, channel, (uint)size);
        var writer = new AmqpWriter(span.Slice(AmqpFrame.HeaderSize, size));
        writer.WriteShort(AmqpClassIds.Basic);
        writer.WriteShort(0);
        writer.WriteLongLong(bodySize);
        properties.Write(ref writer);
        span[AmqpFrame.HeaderSize + size] = AmqpConstants.FrameEnd;
        output.Advance(size + AmqpFrame.Overhead);
    }

    /// <summary>
    /// The body as body frames of at most <paramref name="frameMax"/> bytes each (frame overhead included); an empty
    /// body writes no frame, as the spec allows.
    /// </summary>
    public static void WriteBody(IBufferWriter<byte> output, ushort channel, ReadOnlySequence<byte> body, uint frameMax)
    {
        ArgumentNullException.ThrowIfNull(output);
        var chunkMax = frameMax == 0 ? int.MaxValue - AmqpFrame.Overhead : checked((int)frameMax - AmqpFrame.Overhead);
        if (chunkMax <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frameMax), frameMax, "frame-max leaves no room for a body");
        }
        while (!body.IsEmpty)
        {
            var chunk = (int)Math.Min(body.Length, chunkMax);
            var span = output.GetSpan(chunk + AmqpFrame.Overhead);
            WriteFrameHeader(span, AmqpConstants.FrameBody, channel, (uint)chunk);
            body.Slice(0, chunk).CopyTo(span.Slice(AmqpFrame.HeaderSize, chunk));
            span[AmqpFrame.HeaderSize + chunk] = AmqpConstants.FrameEnd;
            output.Advance(chunk + AmqpFrame.Overhead);
            body = body.Slice(chunk);
        }
    }

    private static void WriteFrameHeader(Span<byte> span, byte type, ushort channel, uint size)
    {
        span[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], channel);
        BinaryPrimitives.WriteUInt32BigEndian(span[3..], size);
    }
}
