using System.Buffers;
using System.Buffers.Binary;

namespace Herald.Protocols.Kafka;

/// <summary>
/// Splits a connection's byte stream into Kafka frames. Layout: <c>int32 size</c> (big-endian, bytes that follow),
/// then <c>size</c> bytes of header and body. Follows the pipelines parse contract: on success the frame is sliced
/// off the front of <c>buffer</c> and the caller calls <c>AdvanceTo(buffer.Start, buffer.End)</c>; on false it
/// needs more bytes. The size is checked as soon as its four bytes arrive, before the frame is buffered, so a
/// hostile size cannot make the connection hold gigabytes. Stateless; thread-safe.
/// </summary>
public static class KafkaFrameReader
{
    public const int SizePrefixBytes = 4;

    /// <summary>
    /// Reads one frame. Throws <see cref="KafkaProtocolException"/> when the size prefix is negative or larger than
    /// <paramref name="maxFrameBytes"/>; the caller should close the connection (Kafka's
    /// <c>InvalidReceiveException</c>). The returned frame excludes the size prefix.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> frame)
    {
        int size;
        var first = buffer.FirstSpan;
        if (first.Length >= SizePrefixBytes)
        {
            size = BinaryPrimitives.ReadInt32BigEndian(first);
        }
        else if (buffer.Length >= SizePrefixBytes)
        {
            // The prefix itself straddles segments: rare, only when a read ends inside the four bytes.
            Span<byte> prefix = stackalloc byte[SizePrefixBytes];
            buffer.Slice(0, SizePrefixBytes).CopyTo(prefix);
            size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        }
        else
        {
            frame = default;
            return false;
        }

        if (size < 0 || size > maxFrameBytes)
        {
            throw new KafkaProtocolException($"Frame size {size} is outside [0, {maxFrameBytes}].");
        }

        // Fast path: the whole frame sits in the first segment, so slicing needs no segment walk.
        if (first.Length - SizePrefixBytes >= size)
        {
            frame = buffer.Slice(SizePrefixBytes, size);
            buffer = buffer.Slice(SizePrefixBytes + size);
            return true;
        }
        if (buffer.Length - SizePrefixBytes < size)
        {
            frame = default;
            return false;
        }
        frame = buffer.Slice(SizePrefixBytes, size);
        buffer = buffer.Slice(frame.End);
        return true;
    }
}
