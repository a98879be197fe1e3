using System.Buffers.Binary;

namespace Herald.Protocols.Kafka;

/// <summary>
/// Follows where Kafka frames (<see cref="KafkaFrameReader"/>'s layout) begin in a connection's byte stream as a
/// transport receives it, so the transport can size its receives such that the body of a large frame lands in one
/// block of memory and reaches the handler in one piece, which the handler then parses where it lies instead of
/// copying it out of the transport's buffers first (a megabyte per produce request).
/// <list type="bullet">
/// <item>When the last bytes received completed a size prefix of <see cref="MinWholeBodyBytes"/> to
/// <see cref="MaxWholeBodyBytes"/>, the next receive is a whole-body receive: one block of the body's size plus
/// room for the next size prefix, filled by as many receive calls as it takes, handed over once.</item>
/// <item>While a large frame's body is under way after all (its first bytes came with a receive of earlier frames),
/// receives stop at its end plus the next prefix, so the frame after it starts aligned; right after a large frame,
/// the next prefix is read alone.</item>
/// <item>A size prefix split by a receive is completed by a receive of just its missing bytes.</item>
/// </list>
/// Sizes outside [0, <see cref="MaxWholeBodyBytes"/>] are handled by the reader (it rejects them or copies the frame);
/// a negative size stops the tracking for good, since the reader closes the connection. One per connection, used by
/// its receive loop only; not thread-safe.
/// </summary>
public sealed class KafkaFrameBoundaries : IKafkaWholeFrameFeature
{
    private int _prefixFilled;
    private uint _prefix;
    private int _bodySize;
    private int _bodyLeft;
    private bool _lost;

    public KafkaFrameBoundaries(int minWholeBodyBytes, int maxWholeBodyBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minWholeBodyBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWholeBodyBytes, minWholeBodyBytes);
        MinWholeBodyBytes = minWholeBodyBytes;
        MaxWholeBodyBytes = maxWholeBodyBytes;
    }

    public int MinWholeBodyBytes { get; }

    public int MaxWholeBodyBytes { get; }

    /// <summary>
    /// How many bytes the next receive should ask for, at most <paramref name="segmentBytes"/> unless
    /// <paramref name="wholeBody"/> is set: then the block must be exactly the returned size, and the transport keeps
    /// receiving into it until at least <paramref name="bodyBytes"/> bytes are in before it hands any over.
    /// </summary>
    public int NextReceiveBytes(int segmentBytes, out bool wholeBody, out int bodyBytes)
    {
        wholeBody = false;
        bodyBytes = 0;
        if (_lost)
        {
            return segmentBytes;
        }
        if (_prefixFilled > 0)
        {
            return KafkaFrameReader.SizePrefixBytes - _prefixFilled;
        }
        if (_bodySize < MinWholeBodyBytes)
        {
            return segmentBytes;
        }
        if (_bodyLeft == 0)
        {
            // A large frame just ended: read the next prefix alone, so a large body after it starts a receive.
            return KafkaFrameReader.SizePrefixBytes;
        }
        if (_bodyLeft == _bodySize && _bodySize <= MaxWholeBodyBytes)
        {
            wholeBody = true;
            bodyBytes = _bodySize;
            return _bodySize + KafkaFrameReader.SizePrefixBytes;
        }
        return (int)Math.Min(segmentBytes, (long)_bodyLeft + KafkaFrameReader.SizePrefixBytes);
    }

    /// <summary>Moves past bytes just received, in stream order.</summary>
    public void Observe(ReadOnlySpan<byte> received)
    {
        while (!received.IsEmpty && !_lost)
        {
            if (_bodyLeft > 0)
            {
                var take = Math.Min(_bodyLeft, received.Length);
                _bodyLeft -= take;
                received = received[take..];
                continue;
            }
            if (_prefixFilled == 0 && received.Length >= KafkaFrameReader.SizePrefixBytes)
            {
                StartBody(BinaryPrimitives.ReadInt32BigEndian(received));
                received = received[KafkaFrameReader.SizePrefixBytes..];
                continue;
            }
            _prefix = (_prefix << 8) | received[0];
            received = received[1..];
            if (++_prefixFilled == KafkaFrameReader.SizePrefixBytes)
            {
                StartBody((int)_prefix);
                _prefixFilled = 0;
                _prefix = 0;
            }
        }
    }

    private void StartBody(int size)
    {
        if (size < 0)
        {
            _lost = true;
            return;
        }
        _bodySize = size;
        _bodyLeft = size;
    }
}

/// <summary>
/// A connection feature of transports that receive through <see cref="KafkaFrameBoundaries"/> (which is the feature
/// they set): a frame whose body
/// is <see cref="MinWholeBodyBytes"/> to <see cref="MaxWholeBodyBytes"/> bytes and whose size prefix was the last
/// thing the input held arrives whole, in one segment, so the reader can leave it in the input until then instead of
/// assembling it in a buffer of its own.
/// </summary>
public interface IKafkaWholeFrameFeature
{
    int MinWholeBodyBytes { get; }

    int MaxWholeBodyBytes { get; }
}
