using System.Buffers;

namespace Herald.Protocols.Resp.Tests;

/// <summary>Builds multi-segment sequences, so tests can split input wherever a network read might.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> bytes, params int[] cuts)
    {
        if (cuts.Length == 0)
        {
            return new ReadOnlySequence<byte>(bytes.ToArray());
        }
        Segment? first = null;
        Segment? last = null;
        var start = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            var piece = new Segment(bytes[start..cut].ToArray());
            if (last is null)
            {
                first = piece;
            }
            else
            {
                last.Append(piece);
            }
            last = piece;
            start = cut;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
