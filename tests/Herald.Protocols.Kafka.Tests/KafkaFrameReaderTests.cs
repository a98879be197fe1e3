using System.Buffers;

namespace Herald.Protocols.Kafka.Tests;

public class KafkaFrameReaderTests
{
    private const int Max = 1024;

    [Fact]
    public void Reads_consecutive_frames_from_one_segment()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 2, 0xA, 0xB, 0, 0, 0, 0, 0, 0, 0, 1 });
        Assert.True(KafkaFrameReader.TryReadFrame(ref buffer, Max, out var first));
        Assert.Equal(new byte[] { 0xA, 0xB }, first.ToArray());
        Assert.True(KafkaFrameReader.TryReadFrame(ref buffer, Max, out var empty));
        Assert.True(empty.IsEmpty);
        Assert.False(KafkaFrameReader.TryReadFrame(ref buffer, Max, out _));
        Assert.Equal(4, buffer.Length); // the partial third frame stays for the next read
    }

    [Fact]
    public void Needs_more_bytes_for_a_partial_prefix_or_body()
    {
        var prefixOnly = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0 });
        Assert.False(KafkaFrameReader.TryReadFrame(ref prefixOnly, Max, out _));
        Assert.Equal(3, prefixOnly.Length);

        var partialBody = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 3, 1, 2 });
        Assert.False(KafkaFrameReader.TryReadFrame(ref partialBody, Max, out _));
        Assert.Equal(6, partialBody.Length);
    }

    [Fact]
    public void Reads_frames_split_across_segments_including_the_prefix()
    {
        var buffer = Segments([0, 0], [0, 3, 7], [8], [9, 0, 0, 0, 1, 5]);
        Assert.True(KafkaFrameReader.TryReadFrame(ref buffer, Max, out var frame));
        Assert.Equal(new byte[] { 7, 8, 9 }, frame.ToArray());
        Assert.True(KafkaFrameReader.TryReadFrame(ref buffer, Max, out frame));
        Assert.Equal(new byte[] { 5 }, frame.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0, 0, 0 })] // negative
    [InlineData(new byte[] { 0, 0, 4, 1 })] // 1025 > max
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF })]
    public void Rejects_bad_sizes_as_soon_as_the_prefix_arrives(byte[] prefix)
    {
        var buffer = new ReadOnlySequence<byte>(prefix);
        Assert.Throws<KafkaProtocolException>(() => KafkaFrameReader.TryReadFrame(ref buffer, Max, out _));
    }

    internal static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
