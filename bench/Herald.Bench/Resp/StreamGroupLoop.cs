using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Herald.Bench.Resp;

/// <summary>
/// The consumer-group read loop redis-benchmark cannot express: consumers of one group each repeat
/// <c>XREADGROUP GROUP g c COUNT n STREAMS key &gt;</c> then <c>XACK</c> of what they got, until the stream is
/// drained. Returns the entries read and acknowledged and the commands sent. The client is deliberately plain
/// (blocking sockets, one thread per consumer): its cost is the same for both servers.
/// </summary>
internal static class StreamGroupLoop
{
    public static async Task<(long Entries, long Commands)> RunAsync(int port, string key, int consumers, int count,
        CancellationToken cancellationToken)
    {
        var tasks = Enumerable.Range(0, consumers)
            .Select(i => Task.Run(() => Consume(port, key, $"consumer-{i}", count, cancellationToken), cancellationToken))
            .ToArray();
        var results = await Task.WhenAll(tasks);
        return (results.Sum(r => r.Entries), results.Sum(r => r.Commands));
    }

    private static (long Entries, long Commands) Consume(int port, string key, string consumer, int count,
        CancellationToken cancellationToken)
    {
        using var client = new RespBenchClient(port);
        long entries = 0, commands = 0;
        var countText = count.ToString(CultureInfo.InvariantCulture);
        while (!cancellationToken.IsCancellationRequested)
        {
            var reply = client.Call("XREADGROUP", "GROUP", "bench", consumer, "COUNT", countText, "STREAMS", key, ">");
            commands++;
            // RESP2: [[key, [[id, [field, value]], ...]]], or a null array when nothing is left.
            if (reply is not object?[] streams || streams.Length == 0 || ((object?[])streams[0]!)[1] is not object?[] read || read.Length == 0)
            {
                return (entries, commands);
            }
            var ack = new string[3 + read.Length];
            ack[0] = "XACK";
            ack[1] = key;
            ack[2] = "bench";
            for (var i = 0; i < read.Length; i++)
            {
                ack[3 + i] = (string)((object?[])read[i]!)[0]!;
            }
            client.Call(ack);
            commands++;
            entries += read.Length;
        }
        return (entries, commands);
    }
}

/// <summary>A minimal blocking RESP2 client: commands as arrays of bulk strings; replies as string, long, array or null.</summary>
internal sealed class RespBenchClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly BufferedStream _stream;

    public RespBenchClient(int port)
    {
        _tcp = new TcpClient { NoDelay = true };
        _tcp.Connect("127.0.0.1", port);
        _stream = new BufferedStream(_tcp.GetStream(), 64 * 1024);
    }

    public object? Call(params string[] arguments)
    {
        var request = new StringBuilder();
        request.Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }
        _stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        _stream.Flush();
        return ReadReply();
    }

    private object? ReadReply()
    {
        var kind = _stream.ReadByte();
        var line = ReadLine();
        switch (kind)
        {
            case '+':
                return line;
            case '-':
                throw new InvalidOperationException("Server replied with an error: " + line);
            case ':':
                return long.Parse(line, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(line, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }
                var bytes = new byte[length + 2];
                _stream.ReadExactly(bytes);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(line, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }
                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = ReadReply();
                }
                return items;
            default:
                throw new InvalidOperationException($"Unexpected RESP reply type '{(char)kind}'.");
        }
    }

    private string ReadLine()
    {
        var text = new StringBuilder();
        int b;
        while ((b = _stream.ReadByte()) != '\r')
        {
            if (b < 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }
            text.Append((char)b);
        }
        _stream.ReadByte(); // '\n'
        return text.ToString();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
