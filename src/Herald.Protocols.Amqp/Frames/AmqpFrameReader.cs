using System.Buffers;
using System.Buffers.Binary;

namespace Herald.Protocols.Amqp.Frames;

/// <summary>
/// Splits a connection's input into frames without copying (the pipelines contract: the caller handles the frame,
/// then calls <c>AdvanceTo(buffer.Start, buffer.End)</c>). Stateless and thread-safe.
/// </summary>
public static class AmqpFrameReader
{
    /// <summary>
    /// Takes one complete frame off the front of <paramref name="buffer"/>; false when more bytes are needed. A frame
    /// whose size would exceed <paramref name="frameMax"/> (header and frame-end included, as the spec counts it; 0 =
    /// no limit) is refused as soon as its header arrives, before its payload is buffered, and a frame whose last
    /// octet is not 0xCE is refused once it is complete: both are 501 FRAME_ERROR.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, uint frameMax, out AmqpFrame frame)
    {
        frame = default;
        if (buffer.Length < AmqpFrame.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[AmqpFrame.HeaderSize];
        var first = buffer.FirstSpan;
        if (first.Length >= AmqpFrame.HeaderSize)
        {
            first[..AmqpFrame.HeaderSize].CopyTo(header);
        }
        else
        {
            buffer.Slice(0, AmqpFrame.HeaderSize).CopyTo(header);
        }

        var type = header[0];
        var channel = BinaryPrimitives.ReadUInt16BigEndian(header[1..]);
        var size = BinaryPrimitives.ReadUInt32BigEndian(header[3..]);
        if (frameMax != 0 && (ulong)size + AmqpFrame.Overhead > frameMax)
        {
            throw new AmqpProtocolException(AmqpReplyCode.FrameError,
                $"frame of {(ulong)size + AmqpFrame.Overhead} bytes on channel {channel} exceeds frame-max {frameMax}");
        }

        var total = (long)size + AmqpFrame.Overhead;
        if (buffer.Length < total)
        {
            return false;
        }

        var end = buffer.Slice(AmqpFrame.HeaderSize + size, 1).FirstSpan[0];
        if (end != AmqpConstants.FrameEnd)
        {
            throw new AmqpProtocolException(AmqpReplyCode.FrameError,
                $"frame-end octet 0x{end:X2} instead of 0xCE on channel {channel}");
        }

        frame = new AmqpFrame(type, channel, buffer.Slice(AmqpFrame.HeaderSize, size));
        buffer = buffer.Slice(total);
        return true;
    }
}
