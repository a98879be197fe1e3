using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Tests;

/// <summary>
/// A listener with <see cref="ProtocolListener.ReceiveBytes"/> set runs on the large-receive socket transport: its
/// handler gets the bytes in large pieces, in order, and sees the end of a connection as it would on Kestrel's
/// transport (FIN completes the input, a reset ends it); a taken port is still reported as PortInUse. Real sockets.
/// </summary>
public sealed class LargeReceiveTransportTests : SocketTransportContractTests
{
    private const int ReceiveBytes = 64 * 1024;

    private protected override ProtocolListener Listener(Func<ConnectionContext, Task> handler) =>
        new("resp", o => o.RespPort, listen => listen.Run(handler), ReceiveBytes);

    [Fact]
    public async Task Megabytes_arrive_intact_in_pieces_larger_than_Kestrels_4_KiB_reads()
    {
        var handler = new EchoHandler();
        await using var herald = await StartAsync(handler);
        using var client = await EchoHandler.ConnectAsync(herald);
        var sent = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(sent);
        var stream = client.GetStream();

        var echoed = new byte[sent.Length];
        var reading = stream.ReadExactlyAsync(echoed).AsTask();
        await stream.WriteAsync(sent);
        await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(sent, echoed);
        Assert.True(handler.LargestSegment > 4096, $"largest input segment {handler.LargestSegment} bytes");
        Assert.True(handler.LargestSegment <= ReceiveBytes, $"largest input segment {handler.LargestSegment} bytes");
    }

    [Fact]
    public async Task With_Kafka_framing_each_large_frame_after_the_first_reaches_the_handler_in_one_segment()
    {
        const int Frames = 6;
        const int BodyBytes = 300_000;
        var handler = new FrameRecordingHandler();
        ProtocolListener[] listeners =
        [
            new("resp", o => o.RespPort, listen => listen.Run(handler.OnConnectedAsync), ReceiveBytes, KafkaFrames: true),
        ];
        await using var herald = await HeraldHost.StartAsync(Options, listeners, HeraldHostMode.Embedded, CancellationToken.None);
        using var client = await EchoHandler.ConnectAsync(herald);
        var sent = new List<byte[]>();
        var random = new Random(11);
        using (var stream = new MemoryStream())
        {
            for (var i = 0; i < Frames; i++)
            {
                var body = new byte[BodyBytes + i];
                random.NextBytes(body);
                sent.Add(body);
                stream.Write([(byte)(body.Length >> 24), (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length]);
                stream.Write(body);
            }
            await client.GetStream().WriteAsync(stream.ToArray());
        }

        var received = await handler.Received.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Frames, received.Count);
        for (var i = 0; i < Frames; i++)
        {
            Assert.Equal(sent[i], received[i].Body);
            if (i > 0)
            {
                Assert.True(received[i].OneSegment, $"frame {i} spans input segments");
            }
        }
    }

    /// <summary>
    /// Reads size-prefixed frames (Kafka's framing) until six have arrived, noting for each whether its body lay in
    /// one input segment.
    /// </summary>
    private sealed class FrameRecordingHandler
    {
        public TaskCompletionSource<List<(byte[] Body, bool OneSegment)>> Received { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task OnConnectedAsync(ConnectionContext connection)
        {
            var input = connection.Transport.Input;
            var frames = new List<(byte[] Body, bool OneSegment)>();
            while (frames.Count < 6)
            {
                var read = await input.ReadAsync();
                var buffer = read.Buffer;
                while (buffer.Length >= 4)
                {
                    var prefix = new byte[4];
                    buffer.Slice(0, 4).CopyTo(prefix);
                    var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
                    if (buffer.Length < 4 + size)
                    {
                        break;
                    }
                    var body = buffer.Slice(4, size);
                    frames.Add((body.ToArray(), body.IsSingleSegment));
                    buffer = buffer.Slice(body.End);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
            Received.TrySetResult(frames);
        }
    }
}
