using System.Buffers;

namespace Herald.Protocols.Amqp.Frames;

/// <summary>
/// The eight octets a client opens with: <c>"AMQP" 0 0 9 1</c> (protocol id 0, version 0-9-1). A server that does
/// not speak what the client asked for answers with its own header and closes (spec section 4.2.2).
/// </summary>
public static class AmqpProtocolHeader
{
    public const int Size = 8;

    public static ReadOnlySpan<byte> Bytes => "AMQP\0\0\x09\x01"u8;

    /// <summary>
    /// False while fewer than eight octets have arrived; otherwise consumes them and says whether they are the 0-9-1
    /// header.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out bool supported)
    {
        supported = false;
        if (buffer.Length < Size)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[Size];
        buffer.Slice(0, Size).CopyTo(header);
        supported = header.SequenceEqual(Bytes);
        buffer = buffer.Slice(Size);
        return true;
    }
}
