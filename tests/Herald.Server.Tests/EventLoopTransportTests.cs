using System.Net;
using System.Net.Sockets;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Tests;

/// <summary>
/// A listener with <see cref="ProtocolListener.EventLoop"/> set runs on Herald's epoll event loops: bytes arrive
/// intact and in order in both directions, including when the client reads slowly (the send waits for the socket to
/// become writable, the receive stops at a full input pipe and resumes), many connections share a loop, and the end
/// of a connection looks as it does on Kestrel's transport (abort here; FIN, reset and a taken port in the base class).
/// Real sockets. (Off Linux x86-64 the
/// host serves such a listener with Kestrel's transport, and these tests check that one.)
/// </summary>
public sealed class EventLoopTransportTests : SocketTransportContractTests
{
    private protected override ProtocolListener Listener(Func<ConnectionContext, Task> handler) =>
        new("resp", o => o.RespPort, listen => listen.Run(handler), EventLoop: true);

    [Fact]
    public async Task Megabytes_echo_intact_to_a_client_that_reads_only_after_a_pause()
    {
        await using var herald = await StartAsync(new EchoHandler());
        using var client = await EchoHandler.ConnectAsync(herald);
        var sent = new byte[8 * 1024 * 1024 + 17];
        new Random(7).NextBytes(sent);
        var stream = client.GetStream();

        // Not reading at first: the server's sends fill the socket buffers and must wait for it to drain, and its
        // input pipe fills up so it must stop receiving; both resume once the client reads.
        var writing = stream.WriteAsync(sent).AsTask();
        await Task.Delay(500);
        var echoed = new byte[sent.Length];
        await stream.ReadExactlyAsync(echoed).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await writing;

        Assert.Equal(sent, echoed);
    }

    [Fact]
    public async Task Two_hundred_connections_each_get_their_own_bytes_back()
    {
        await using var herald = await StartAsync(new EchoHandler());
        var clients = Enumerable.Range(0, 200).Select(async i =>
        {
            using var client = await EchoHandler.ConnectAsync(herald);
            var stream = client.GetStream();
            var sent = new byte[10_000 + i];
            new Random(i).NextBytes(sent);
            for (var offset = 0; offset < sent.Length; offset += 1000)
            {
                await stream.WriteAsync(sent.AsMemory(offset, Math.Min(1000, sent.Length - offset)));
            }
            var echoed = new byte[sent.Length];
            await stream.ReadExactlyAsync(echoed);
            Assert.Equal(sent, echoed);
        });

        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Aborting_a_connection_closes_its_socket_and_fires_ConnectionClosed()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = Listener(async connection =>
        {
            connection.ConnectionClosed.Register(() => closed.TrySetResult());
            await connection.Transport.Input.ReadAsync();
            connection.Abort(new ConnectionAbortedException("test abort"));
        });
        await using var herald = await HeraldHost.StartAsync(Options, [listener], HeraldHostMode.Embedded, CancellationToken.None);
        using var client = await EchoHandler.ConnectAsync(herald);
        var stream = client.GetStream();

        await stream.WriteAsync("hello"u8.ToArray());

        var read = await ReadToEndAsync(stream).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, read);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Bytes read until the server closes (a reset counts as closed).</summary>
    private static async Task<int> ReadToEndAsync(NetworkStream stream)
    {
        var total = 0;
        var buffer = new byte[256];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // reset
        }
        return total;
    }
}
