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
public sealed class LargeReceiveTransportTests : IDisposable
{
    private const int ReceiveBytes = 64 * 1024;

    private readonly HeraldOptions _options = HeraldOptions.ForTests();

    public void Dispose()
    {
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Megabytes_arrive_intact_in_pieces_larger_than_Kestrels_4_KiB_reads()
    {
        var handler = new CountingEchoHandler();
        await using var herald = await StartAsync(handler);
        using var client = await ConnectAsync(herald);
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
        await using var herald = await HeraldHost.StartAsync(_options, listeners, HeraldHostMode.Embedded, CancellationToken.None);
        using var client = await ConnectAsync(herald);
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

    [Fact]
    public async Task A_client_FIN_completes_the_input_and_the_reply_still_goes_out()
    {
        await using var herald = await StartAsync(new CountingEchoHandler());
        using var client = await ConnectAsync(herald);
        var stream = client.GetStream();

        await stream.WriteAsync("last words"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(10)); // ends at the server's FIN
        Assert.Equal("last wordsBYE"u8.ToArray(), received.ToArray());
    }

    [Fact]
    public async Task A_client_reset_ends_the_handler_and_the_listener_serves_on()
    {
        var handler = new CountingEchoHandler();
        await using var herald = await StartAsync(handler);
        using (var client = await ConnectAsync(herald))
        {
            await client.GetStream().WriteAsync("x"u8.ToArray());
            await handler.FirstRead.Task.WaitAsync(TimeSpan.FromSeconds(10));
            client.LingerState = new LingerOption(true, 0); // close sends RST
        }

        // The input ends either way Kestrel's own transport ends it for a reset: with inline scheduling (the host's
        // setting) both complete it as if the peer had closed, otherwise both fail it with ConnectionResetException.
        var ended = await handler.Ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ended is null or ConnectionResetException, $"the input ended with {ended}");

        using var next = await ConnectAsync(herald);
        var stream = next.GetStream();
        await stream.WriteAsync("again"u8.ToArray());
        var reply = new byte[5];
        await stream.ReadExactlyAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("again"u8.ToArray(), reply);
    }

    [Fact]
    public async Task A_taken_port_is_reported_as_PortInUse()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        _options.RespPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        var failure = await Assert.ThrowsAsync<HeraldStartupException>(() => StartAsync(new CountingEchoHandler()));

        Assert.Equal(HeraldStartupError.PortInUse, failure.Error);
        Assert.Contains($"resp on 127.0.0.1:{_options.RespPort}", failure.Message);
    }

    private Task<HeraldInstance> StartAsync(CountingEchoHandler handler)
    {
        ProtocolListener[] listeners =
        [
            new("resp", o => o.RespPort, listen => listen.Run(handler.OnConnectedAsync), ReceiveBytes),
        ];
        return HeraldHost.StartAsync(_options, listeners, HeraldHostMode.Embedded, CancellationToken.None);
    }

    private static async Task<TcpClient> ConnectAsync(HeraldInstance herald)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Assert.IsType<int>(herald.RespPort));
        return client;
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

    /// <summary>
    /// Echoes what it reads, notes the largest input segment, answers "BYE" at the end of the input, and reports how
    /// the input ended (null for FIN, or the exception).
    /// </summary>
    private sealed class CountingEchoHandler
    {
        public int LargestSegment { get; private set; }

        public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task OnConnectedAsync(ConnectionContext connection)
        {
            var input = connection.Transport.Input;
            var output = connection.Transport.Output;
            try
            {
                while (true)
                {
                    var read = await input.ReadAsync();
                    FirstRead.TrySetResult();
                    foreach (var segment in read.Buffer)
                    {
                        LargestSegment = Math.Max(LargestSegment, segment.Length);
                        await output.WriteAsync(segment);
                    }
                    input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        await output.WriteAsync("BYE"u8.ToArray());
                        Ended.TrySetResult(null);
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                Ended.TrySetResult(e);
            }
        }
    }
}
