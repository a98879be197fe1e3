using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Herald.Bench.Kafka;

/// <summary>
/// The machine's loopback TCP bandwidth: one connection on 127.0.0.1, one thread writing 1 MiB buffers, one reading
/// them into a 1 MiB buffer, for a fixed time. This is the ceiling of a single producer connection's bytes (the same
/// kernel path, no protocol), measured like iperf3's default single stream. Both ends run in this process, so the
/// pump competes for the same cores a broker and its client would.
/// </summary>
internal static class LoopbackProbe
{
    public const string Id = "loopback-tcp";

    private const int ChunkBytes = 1 << 20;

    public static async Task<LoopbackResult> RunAsync(double seconds, int round, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await sender.ConnectAsync((IPEndPoint)listener.LocalEndpoint, cancellationToken);
        using var receiver = await listener.AcceptSocketAsync(cancellationToken);
        var stop = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var write = Task.Run(() =>
        {
            var chunk = new byte[ChunkBytes];
            Random.Shared.NextBytes(chunk);
            while (Stopwatch.GetTimestamp() < stop)
            {
                sender.Send(chunk);
            }
            sender.Shutdown(SocketShutdown.Send);
        }, cancellationToken);
        var read = Task.Run(() =>
        {
            var buffer = new byte[ChunkBytes];
            long total = 0;
            var started = Stopwatch.GetTimestamp();
            int n;
            while ((n = receiver.Receive(buffer)) > 0)
            {
                total += n;
            }
            return (total, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }, cancellationToken);
        await write;
        var (bytes, elapsed) = await read;
        return new LoopbackResult(round, bytes, elapsed);
    }
}

/// <summary>One loopback pump run.</summary>
internal sealed record LoopbackResult(int Round, long Bytes, double Seconds)
{
    public double MBps => Bytes / Seconds / 1e6;
}
