using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// A TCP proxy between Kafka clients and a broker that injects the failure idempotent producers exist for: every
/// <see cref="CutEvery"/>th Produce request is forwarded to the broker, which appends it, but its response is never
/// forwarded; the proxy then drops both connections. The producer sees a lost connection with a request in flight
/// and must retry it, so the broker gets the same batch (same producer id, epoch and sequences) a second time.
///
/// Start it before the broker so the broker can advertise <see cref="Port"/> (clients reconnect through the proxy
/// after a cut), then set <see cref="Target"/>. At most <see cref="MaxCuts"/> cuts, so the clients finish.
/// Thread-safe; disposal stops listening and closes every connection.
/// </summary>
public sealed class ConnectionCuttingProxy : IAsyncDisposable
{
    private const short ProduceApiKey = 0;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _acceptLoop;
    private int _produceRequests;
    private int _cuts;

    public ConnectionCuttingProxy(int cutEvery, int maxCuts)
    {
        CutEvery = cutEvery;
        MaxCuts = maxCuts;
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The broker's port; must be set before the first client connects.</summary>
    public int Target { get; set; }

    public int CutEvery { get; }

    public int MaxCuts { get; }

    /// <summary>How many produce requests were forwarded and their responses withheld.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopped
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        lock (_open)
        {
            _open.Add(client);
            _open.Add(server);
        }
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, Target, connection.Token);
            var cut = new CutFlag();
            var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), cut, connection.Token);
            var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), cut, connection.Token);
            await Task.WhenAny(upstream, downstream);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // one side went away
        }
        finally
        {
            await connection.CancelAsync();
            client.Dispose();
        }
    }

    /// <summary>Client to broker, frame by frame, deciding which produce request to cut after.</summary>
    private async Task ForwardRequestsAsync(NetworkStream from, NetworkStream to, CutFlag cut, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        while (true)
        {
            await from.ReadExactlyAsync(prefix, cancellationToken);
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
            await from.ReadExactlyAsync(frame, cancellationToken);
            var isProduce = frame.Length >= 2 && BinaryPrimitives.ReadInt16BigEndian(frame) == ProduceApiKey;
            var cutHere = isProduce && Interlocked.Increment(ref _produceRequests) % CutEvery == 0 &&
                Interlocked.Increment(ref _cuts) <= MaxCuts;
            if (cutHere)
            {
                cut.Value = true; // from now on nothing goes back to the client
            }
            await to.WriteAsync(prefix, cancellationToken);
            await to.WriteAsync(frame, cancellationToken);
            if (cutHere)
            {
                await Task.Delay(300, cancellationToken); // time for the broker to append it
                return;
            }
        }
    }

    private static async Task ForwardResponsesAsync(NetworkStream from, NetworkStream to, CutFlag cut, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await from.ReadAsync(buffer, cancellationToken);
            if (n == 0 || Volatile.Read(ref cut.Value))
            {
                // The cut may land in the middle of this read: the whole read is dropped, which at worst withholds
                // an earlier response too (the client then retries that request as well: also a duplicate).
                if (n == 0)
                {
                    return;
                }
                continue;
            }
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }
        await _acceptLoop;
        _stop.Dispose();
    }

    private sealed class CutFlag
    {
        public bool Value;
    }
}
