using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Herald.TestKit;

namespace Herald.Server.Tests;

/// <summary>
/// Redis streams and consumer groups survive a restart and a <c>kill -9</c> of a real <c>herald</c> process: what a
/// client saw acknowledged (XADD IDs, XREADGROUP deliveries, XACK, XDEL, XTRIM, XGROUP) is there after the restart,
/// under the default fsync policy (always).
/// </summary>
public sealed class RespStreamDurabilityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Acknowledged_stream_and_group_state_survives(bool killHard)
    {
        var data = _directory.Combine("data");
        using (var herald = Start(data))
        {
            using var client = await RespLineClient.ConnectAsync(await herald.WaitForListenerAsync("resp"));
            for (var i = 1; i <= 300; i++)
            {
                Assert.Equal($"{i}-0", await client.SendAsync("XADD", "orders", $"{i}-0", "n", i.ToString(CultureInfo.InvariantCulture)));
            }
            Assert.Equal("OK", await client.SendAsync("XGROUP", "CREATE", "orders", "billing", "0"));
            var delivered = await client.SendAsync("XREADGROUP", "GROUP", "billing", "alice", "COUNT", "100", "STREAMS", "orders", ">");
            Assert.StartsWith("orders 1-0 n 1 2-0", delivered, StringComparison.Ordinal);
            Assert.Equal("50", await client.SendAsync(["XACK", "orders", "billing", .. Enumerable.Range(1, 50).Select(i => $"{i}-0")]));
            Assert.Equal("2", await client.SendAsync("XDEL", "orders", "200-0", "201-0"));
            Assert.Equal("10", await client.SendAsync("XTRIM", "orders", "MINID", "11"));
            Assert.Equal("1", await client.SendAsync("XGROUP", "CREATECONSUMER", "orders", "billing", "bob"));
            if (killHard)
            {
                herald.KillHard();
            }
            else
            {
                // With the connection still open: a graceful stop must not wait for idle RESP clients.
                herald.SignalTerm();
            }
            // WaitForExitAsync throws when the process outlives the deadline, well below Kestrel's 30 s shutdown timeout.
            var exitCode = await herald.WaitForExitAsync(TimeSpan.FromSeconds(15));
            if (!killHard)
            {
                Assert.Equal(0, exitCode);
            }
        }

        using (var herald = Start(data))
        {
            using var client = await RespLineClient.ConnectAsync(await herald.WaitForListenerAsync("resp"));
            Assert.Equal("288", await client.SendAsync("XLEN", "orders"));
            Assert.Equal("11-0 n 11", await client.SendAsync("XRANGE", "orders", "-", "+", "COUNT", "1"));
            Assert.Equal("202-0 n 202", await client.SendAsync("XRANGE", "orders", "(199-0", "+", "COUNT", "1"));
            Assert.Equal("50 51-0 100-0 alice 50", await client.SendAsync("XPENDING", "orders", "billing"));
            Assert.Equal("name alice pending 50 name bob pending 0",
                RemoveTimes(await client.SendAsync("XINFO", "CONSUMERS", "orders", "billing")));
            Assert.Equal("orders 101-0 n 101", await client.SendAsync("XREADGROUP", "GROUP", "billing", "bob", "COUNT", "1", "STREAMS", "orders", ">"));
            Assert.Equal("stream", await client.SendAsync("TYPE", "orders"));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.SendAsync("XADD", "orders", "300-0", "n", "again"));
            Assert.Contains("equal or smaller than the target stream top item", error.Message, StringComparison.Ordinal);
            herald.SignalTerm();
            Assert.Equal(0, await herald.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        }
    }

    /// <summary>Drops XINFO CONSUMERS' idle and inactive figures, which depend on timing.</summary>
    private static string RemoveTimes(string reply) =>
        System.Text.RegularExpressions.Regex.Replace(reply, @" (idle|inactive) -?\d+", "");

    private ProcessRunner Start(string data) =>
        HeraldExecutable.Start(["--bind", "127.0.0.1", "--http-port", "0", "--kafka-port", "0", "--amqp-port", "0", "--resp-port", "0",
            "--data-dir", data], _directory.Path);

    /// <summary>A minimal RESP2 client: sends one command, reads one reply and flattens it to space-separated text.</summary>
    private sealed class RespLineClient : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly BufferedStream _stream;

        private RespLineClient(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = new BufferedStream(tcp.GetStream());
        }

        public static async Task<RespLineClient> ConnectAsync(IPEndPoint endPoint)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(endPoint);
            return new RespLineClient(tcp);
        }

        public async Task<string> SendAsync(params string[] arguments)
        {
            var request = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
            foreach (var argument in arguments)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
            }
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
            await _stream.FlushAsync();
            var parts = new List<string>();
            ReadValue(parts);
            return string.Join(' ', parts);
        }

        private void ReadValue(List<string> parts)
        {
            var line = ReadLine();
            var payload = line[1..];
            switch (line[0])
            {
                case '+' or ':':
                    parts.Add(payload);
                    break;
                case '-':
                    throw new InvalidOperationException(payload);
                case '$':
                    var length = int.Parse(payload, CultureInfo.InvariantCulture);
                    if (length >= 0)
                    {
                        var bytes = new byte[length + 2];
                        _stream.ReadExactly(bytes);
                        parts.Add(Encoding.UTF8.GetString(bytes, 0, length));
                    }
                    break;
                case '*':
                    var count = int.Parse(payload, CultureInfo.InvariantCulture);
                    for (var i = 0; i < count; i++)
                    {
                        ReadValue(parts);
                    }
                    break;
                default:
                    throw new InvalidOperationException($"unexpected reply line {line}");
            }
        }

        private string ReadLine()
        {
            var line = new StringBuilder();
            while (true)
            {
                var b = _stream.ReadByte();
                if (b < 0)
                {
                    throw new EndOfStreamException();
                }
                if (b == '\r')
                {
                    _stream.ReadByte();
                    return line.ToString();
                }
                line.Append((char)b);
            }
        }

        public void Dispose()
        {
            _stream.Dispose();
            _tcp.Dispose();
        }
    }
}
