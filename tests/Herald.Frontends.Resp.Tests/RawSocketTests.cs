using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// What only a raw socket can show: protocol errors answered and the connection closed (others unaffected),
/// lengths over the limits refused before anything is allocated, big arguments streamed, a pipeline of thousands of
/// commands in one write, subscribed-mode rules, and a subscriber that never reads being disconnected at the pub/sub
/// output limit while publishers carry on.
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class RawSocketTests(HeraldNode herald)
{
    [Fact]
    public async Task A_protocol_error_is_answered_and_closes_only_that_connection()
    {
        using var bystander = await RawClient.ConnectAsync(herald.Port);
        using var offender = await RawClient.ConnectAsync(herald.Port);

        await offender.SendAsync("*1\r\n$4\r\nPING\r\n*1\r\n$4x\r\n");

        Assert.Equal("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", await offender.ReadToEndAsync());
        await bystander.SendAsync("PING\r\n");
        Assert.Equal("+PONG\r\n", await bystander.ReadAsync(7));
    }

    [Fact]
    public async Task A_bulk_length_over_the_limit_is_refused_without_allocating()
    {
        using var client = await RawClient.ConnectAsync(herald.Port);
        var before = GC.GetTotalAllocatedBytes();

        await client.SendAsync("*2\r\n$4\r\nECHO\r\n$536870913\r\n");

        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", await client.ReadToEndAsync());
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 * 1024 * 1024, "the refused length was allocated");
    }

    [Fact]
    public async Task A_bulk_announced_within_the_limit_allocates_only_as_its_bytes_arrive()
    {
        using var client = await RawClient.ConnectAsync(herald.Port);
        var before = GC.GetTotalAllocatedBytes();

        await client.SendAsync("*2\r\n$4\r\nECHO\r\n$536870912\r\nabc");
        await Task.Delay(200);
        await client.SendAsync("PING\r\n");

        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 * 1024 * 1024, "storage for the whole announced length was allocated");
        Assert.False(await client.HasDataAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task An_eight_megabyte_argument_is_echoed_intact()
    {
        using var client = await RawClient.ConnectAsync(herald.Port);
        var payload = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        await client.SendAsync([.. "*2\r\n$4\r\nECHO\r\n$8388608\r\n"u8, .. payload, .. "\r\n"u8]);

        var reply = await client.ReadBytesAsync(payload.Length + 12);
        Assert.Equal("$8388608\r\n"u8.ToArray(), reply[..10]);
        Assert.True(payload.AsSpan().SequenceEqual(reply.AsSpan(10, payload.Length)));
    }

    [Fact]
    public async Task Ten_thousand_commands_in_one_write_are_answered_in_order()
    {
        using var client = await RawClient.ConnectAsync(herald.Port);
        var request = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            var text = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            request.Append(i % 3 == 0 ? "PING\r\n" : $"*2\r\n$4\r\nECHO\r\n${text.Length}\r\n{text}\r\n");
            expected.Append(i % 3 == 0 ? "+PONG\r\n" : $"${text.Length}\r\n{text}\r\n");
        }

        await client.SendAsync(request.ToString());

        Assert.Equal(expected.ToString(), Encoding.ASCII.GetString(await client.ReadBytesAsync(expected.Length)));
    }

    [Fact]
    public async Task Pipelined_XADDs_are_answered_in_order_and_a_later_read_sees_them_all()
    {
        // The node runs with fsync=always: the XADDs run without waiting for each other's fsync, their replies are
        // held until durable, and the PING and XRANGE in between (commands that wait for earlier writes) see them.
        using var client = await RawClient.ConnectAsync(herald.Port);
        var key = "pipelined-" + Guid.NewGuid().ToString("N");
        var request = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 1; i <= 300; i++)
        {
            var id = $"{i}-1";
            request.Append($"*5\r\n$4\r\nXADD\r\n${key.Length}\r\n{key}\r\n${id.Length}\r\n{id}\r\n$1\r\nf\r\n$1\r\nv\r\n");
            expected.Append($"${id.Length}\r\n{id}\r\n");
            if (i % 100 == 0)
            {
                request.Append($"PING\r\nXRANGE {key} {id} +\r\n");
                expected.Append($"+PONG\r\n*1\r\n*2\r\n${id.Length}\r\n{id}\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
            }
        }
        // DEL leaves the shared node's keyspace as it was (the differential test compares DBSIZE with redis-server).
        request.Append($"XLEN {key}\r\nDEL {key}\r\n");
        expected.Append(":300\r\n:1\r\n");

        await client.SendAsync(request.ToString());

        Assert.Equal(expected.ToString(), Encoding.ASCII.GetString(await client.ReadBytesAsync(expected.Length)));
    }

    [Fact]
    public async Task RESP2_subscribers_may_only_subscribe_ping_quit_and_reset_while_RESP3_ones_may_do_anything()
    {
        using var resp2 = await RawClient.ConnectAsync(herald.Port);
        using var resp3 = await RawClient.ConnectAsync(herald.Port);

        await resp2.SendAsync("SUBSCRIBE raw-mode\r\nECHO x\r\nPING\r\nUNSUBSCRIBE\r\nECHO x\r\n");
        await resp3.SendAsync("HELLO 3\r\n");
        await resp3.ReadUntilAsync("*0\r\n");
        await resp3.SendAsync("SUBSCRIBE raw-mode\r\nECHO x\r\n");

        Assert.Equal(
            "*3\r\n$9\r\nsubscribe\r\n$8\r\nraw-mode\r\n:1\r\n" +
            "-ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
            "*2\r\n$4\r\npong\r\n$0\r\n\r\n" +
            "*3\r\n$11\r\nunsubscribe\r\n$8\r\nraw-mode\r\n:0\r\n" +
            "$1\r\nx\r\n",
            await resp2.ReadUntilAsync("$1\r\nx\r\n"));
        Assert.Equal(">3\r\n$9\r\nsubscribe\r\n$8\r\nraw-mode\r\n:1\r\n$1\r\nx\r\n", await resp3.ReadUntilAsync("$1\r\nx\r\n"));
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_is_disconnected_at_the_output_limit_and_publishers_never_wait()
    {
        using var subscriber = await RawClient.ConnectAsync(herald.Port, receiveBufferBytes: 4096);
        await subscriber.SendAsync("SUBSCRIBE slow-channel\r\n");
        await subscriber.ReadUntilAsync(":1\r\n");
        using var publisher = await RawClient.ConnectAsync(herald.Port);
        var payload = new string('p', 256 * 1024);
        var command = Encoding.ASCII.GetBytes($"*3\r\n$7\r\nPUBLISH\r\n$12\r\nslow-channel\r\n${payload.Length}\r\n{payload}\r\n");
        var clock = Stopwatch.StartNew();
        var published = 0;

        // 32 MiB hard limit plus the socket buffers: well under 400 messages of 256 KiB.
        string reply;
        do
        {
            await publisher.SendAsync(command);
            reply = Encoding.ASCII.GetString(await publisher.ReadBytesAsync(4));
            published++;
        }
        while (reply == ":1\r\n" && published < 400);

        Assert.Equal(":0\r\n", reply);
        Assert.InRange(published, 100, 399);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"publishing took {clock.Elapsed}");
        Assert.True(await subscriber.IsClosedAfterDrainingAsync(), "the slow subscriber is still connected");
        var stats = (await ClientProcess.RedisCliAsync(herald.Port, "INFO", "stats")).Output;
        Assert.Matches(@"client_output_buffer_limit_disconnections:[1-9]", stats);
    }

    /// <summary>A blocking-free socket client with the few reads the tests need.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly List<byte> _pending = [];

        private RawClient(Socket socket) => _socket = socket;

        public static async Task<RawClient> ConnectAsync(int port, int? receiveBufferBytes = null)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (receiveBufferBytes is { } size)
            {
                socket.ReceiveBufferSize = size;
            }
            await socket.ConnectAsync("127.0.0.1", port);
            return new RawClient(socket);
        }

        public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

        public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes);

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[1 << 16];
            while (_pending.Count < count)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    throw new EndOfStreamException($"closed after {_pending.Count} of {count} bytes: {Encoding.ASCII.GetString([.. _pending])}");
                }
                _pending.AddRange(buffer.AsSpan(0, read));
            }
            var result = _pending.GetRange(0, count).ToArray();
            _pending.RemoveRange(0, count);
            return result;
        }

        public async Task<string> ReadAsync(int count) => Encoding.ASCII.GetString(await ReadBytesAsync(count));

        public async Task<string> ReadUntilAsync(string end)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[1 << 16];
            while (!Encoding.ASCII.GetString([.. _pending]).Contains(end, StringComparison.Ordinal))
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    throw new EndOfStreamException(Encoding.ASCII.GetString([.. _pending]));
                }
                _pending.AddRange(buffer.AsSpan(0, read));
            }
            var text = Encoding.ASCII.GetString([.. _pending]);
            var length = text.IndexOf(end, StringComparison.Ordinal) + end.Length;
            _pending.RemoveRange(0, length);
            return text[..length];
        }

        /// <summary>Everything until the server closes the connection.</summary>
        public async Task<string> ReadToEndAsync()
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[1 << 16];
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    return Encoding.ASCII.GetString([.. _pending]);
                }
                _pending.AddRange(buffer.AsSpan(0, read));
            }
        }

        public async Task<bool> HasDataAsync(TimeSpan wait)
        {
            using var deadline = new CancellationTokenSource(wait);
            try
            {
                var read = await _socket.ReceiveAsync(new byte[1], SocketFlags.None, deadline.Token);
                return read > 0;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>Reads whatever was buffered for the client and reports whether the server closed or reset it.</summary>
        public async Task<bool> IsClosedAfterDrainingAsync()
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[1 << 20];
            try
            {
                while (await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
                {
                }
                return true;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
