using System.Net;
using System.Net.Sockets;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Tests;

/// <summary>
/// What every socket transport of the host must do as Kestrel's own does, checked for each of Herald's transports
/// by a subclass that says how its listener is declared: a client's FIN completes the input and the reply still goes
/// out, a reset ends the handler and the listener serves on, a taken port is reported as PortInUse. Real sockets.
/// </summary>
public abstract class SocketTransportContractTests : IDisposable
{
    protected HeraldOptions Options { get; } = HeraldOptions.ForTests();

    public void Dispose()
    {
        if (Directory.Exists(Options.DataDirectory))
        {
            Directory.Delete(Options.DataDirectory, recursive: true);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>The RESP-port listener running <paramref name="handler"/> on the transport under test.</summary>
    private protected abstract ProtocolListener Listener(Func<ConnectionContext, Task> handler);

    private protected Task<HeraldInstance> StartAsync(EchoHandler handler) =>
        HeraldHost.StartAsync(Options, [Listener(handler.OnConnectedAsync)], HeraldHostMode.Embedded, CancellationToken.None);

    [Fact]
    public async Task A_client_FIN_completes_the_input_and_the_reply_still_goes_out()
    {
        var handler = new EchoHandler();
        await using var herald = await StartAsync(handler);
        using var client = await EchoHandler.ConnectAsync(herald);
        var stream = client.GetStream();

        await stream.WriteAsync("last words"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(10)); // ends at the server's FIN
        Assert.Equal("last wordsBYE"u8.ToArray(), received.ToArray());
        Assert.Null(await handler.Ended.Task);
    }

    [Fact]
    public async Task A_client_reset_ends_the_handler_and_the_listener_serves_on()
    {
        var handler = new EchoHandler();
        await using var herald = await StartAsync(handler);
        using (var client = await EchoHandler.ConnectAsync(herald))
        {
            await client.GetStream().WriteAsync("x"u8.ToArray());
            await handler.FirstRead.Task.WaitAsync(TimeSpan.FromSeconds(10));
            client.LingerState = new LingerOption(true, 0); // close sends RST
        }

        var ended = await handler.Ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ended is null or ConnectionResetException, $"the input ended with {ended}");

        using var next = await EchoHandler.ConnectAsync(herald);
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
        Options.RespPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        var failure = await Assert.ThrowsAsync<HeraldStartupException>(() => StartAsync(new EchoHandler()));

        Assert.Equal(HeraldStartupError.PortInUse, failure.Error);
        Assert.Contains($"resp on 127.0.0.1:{Options.RespPort}", failure.Message);
    }
}
