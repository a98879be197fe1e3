using System.Net;
using System.Net.Sockets;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Connections;

namespace Herald.Server.Tests;

/// <summary>
/// Listener registration: a protocol front end joins the host as one <see cref="ProtocolListener"/> row, and its
/// connections reach its <see cref="ConnectionHandler"/>.
/// </summary>
public sealed class HeraldHostTests : IDisposable
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();

    public void Dispose()
    {
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_registered_connection_handler_serves_its_own_port()
    {
        ProtocolListener[] listeners =
        [
            ProtocolListener.Http("http", o => o.HttpPort),
            ProtocolListener.ForConnectionHandler<EchoConnectionHandler>("resp", o => o.RespPort),
        ];

        await using var herald = await HeraldHost.StartAsync(_options, listeners, HeraldHostMode.Embedded, CancellationToken.None);

        Assert.Equal(["http", "resp"], herald.Listeners.Select(l => l.Protocol));
        var port = Assert.IsType<int>(herald.RespPort);
        Assert.NotEqual(herald.HttpPort, port);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var reply = new byte[6];
        await stream.ReadExactlyAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("PING\r\n"u8.ToArray(), reply);
    }

    [Fact]
    public async Task Two_listeners_on_one_fixed_port_are_rejected_as_invalid_options()
    {
        _options.HttpPort = 15999;
        _options.RespPort = 15999;
        ProtocolListener[] listeners =
        [
            ProtocolListener.Http("http", o => o.HttpPort),
            ProtocolListener.ForConnectionHandler<EchoConnectionHandler>("resp", o => o.RespPort),
        ];

        var failure = await Assert.ThrowsAsync<HeraldStartupException>(
            () => HeraldHost.StartAsync(_options, listeners, HeraldHostMode.Embedded, CancellationToken.None));

        Assert.Equal(HeraldStartupError.InvalidOptions, failure.Error);
        Assert.Contains("http and resp", failure.Message);
    }

    /// <summary>Writes back whatever it reads until the client closes.</summary>
    private sealed class EchoConnectionHandler : ConnectionHandler
    {
        public override async Task OnConnectedAsync(ConnectionContext connection)
        {
            var input = connection.Transport.Input;
            var output = connection.Transport.Output;
            while (true)
            {
                var read = await input.ReadAsync();
                foreach (var segment in read.Buffer)
                {
                    await output.WriteAsync(segment);
                }

                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
    }
}
