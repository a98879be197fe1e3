using System.Buffers.Binary;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// <see cref="KafkaFrameBoundaries"/> sizes a transport's receives so that large frame bodies arrive whole: checked
/// step by step, and over random streams delivered by a socket that hands over random amounts.
/// </summary>
public sealed class KafkaFrameBoundariesTests
{
    private const int Segment = 128 * 1024;
    private const int MinWhole = 64 * 1024;
    private const int MaxWhole = 1024 * 1024;

    [Fact]
    public void A_large_body_whose_prefix_ended_the_last_receive_is_received_whole_with_room_for_the_next_prefix()
    {
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out var whole, out _));
        Assert.False(whole);

        frames.Observe(Frame(100).Concat(Prefix(300_000)).ToArray());

        Assert.Equal(300_004, frames.NextReceiveBytes(Segment, out whole, out var body));
        Assert.True(whole);
        Assert.Equal(300_000, body);

        frames.Observe(new byte[300_000]);
        frames.Observe(Prefix(50));
        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out whole, out _));
        Assert.False(whole);
    }

    [Fact]
    public void A_split_prefix_is_completed_by_a_receive_of_just_its_missing_bytes()
    {
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        var prefix = Prefix(200_000);

        frames.Observe(prefix.AsSpan(0, 1));
        Assert.Equal(3, frames.NextReceiveBytes(Segment, out var whole, out _));
        Assert.False(whole);
        frames.Observe(prefix.AsSpan(1, 3));

        Assert.Equal(200_004, frames.NextReceiveBytes(Segment, out whole, out var body));
        Assert.True(whole);
        Assert.Equal(200_000, body);
    }

    [Fact]
    public void A_large_body_already_under_way_is_read_to_its_end_and_the_next_prefix_only()
    {
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        frames.Observe(Prefix(300_000).Concat(new byte[1000]).ToArray());
        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out var whole, out _));
        Assert.False(whole);

        frames.Observe(new byte[300_000 - 1000 - 500]);
        Assert.Equal(504, frames.NextReceiveBytes(Segment, out whole, out _));
        Assert.False(whole);
    }

    [Fact]
    public void Small_frames_and_frames_above_the_whole_limit_are_received_in_segments()
    {
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        frames.Observe(Prefix(MinWhole - 1));
        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out var whole, out _));
        Assert.False(whole);

        frames.Observe(new byte[MinWhole - 1]);
        frames.Observe(Prefix(MaxWhole + 1));
        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out whole, out _));
        Assert.False(whole);
    }

    [Fact]
    public void A_negative_size_stops_the_tracking()
    {
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        frames.Observe(Prefix(-1));
        frames.Observe(Prefix(300_000));

        Assert.Equal(Segment, frames.NextReceiveBytes(Segment, out var whole, out _));
        Assert.False(whole);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Over_a_random_stream_every_large_body_right_after_another_arrives_in_one_receive(int seed)
    {
        var random = new Random(seed);
        var sizes = Enumerable.Range(0, 200).Select(_ => random.Next(4) switch
        {
            0 => random.Next(0, 2000),
            1 => random.Next(MinWhole, 3 * Segment),
            2 => random.Next(3 * Segment, MaxWhole + 1),
            _ => random.Next(2000, MinWhole),
        }).ToList();
        var stream = sizes.SelectMany(Frame).ToArray();
        var frames = new KafkaFrameBoundaries(MinWhole, MaxWhole);
        var receives = new List<(int Start, int Length)>();
        var position = 0;
        while (position < stream.Length)
        {
            var asked = frames.NextReceiveBytes(Segment, out var whole, out var body);
            int received;
            if (whole)
            {
                // The transport keeps receiving into the block until the body is in; the socket may add the prefix.
                received = Math.Min(stream.Length - position, body + random.Next(0, 5));
                Assert.True(received <= asked);
            }
            else
            {
                // A socket hands over anything from one byte to what was asked.
                received = Math.Min(stream.Length - position, random.Next(1, asked + 1));
            }
            frames.Observe(stream.AsSpan(position, received));
            receives.Add((position, received));
            position += received;
        }

        // After small frames, a segment-sized receive may take the head of a large one with them; after a large
        // frame, receives stop at the next prefix, so the next large body starts a receive of its own.
        var frameStart = 0;
        var previousLarge = false;
        var checkedBodies = 0;
        foreach (var size in sizes)
        {
            var bodyStart = frameStart + 4;
            if (size >= MinWhole && previousLarge)
            {
                Assert.Contains(receives, r => r.Start == bodyStart && r.Length >= size);
                checkedBodies++;
            }
            previousLarge = size >= MinWhole;
            frameStart = bodyStart + size;
        }
        Assert.True(checkedBodies > 20, $"{checkedBodies} bodies checked");
    }

    private static byte[] Prefix(int size)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, size);
        return prefix;
    }

    private static byte[] Frame(int size) => [.. Prefix(size), .. new byte[size]];
}
