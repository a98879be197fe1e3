using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Herald.Frontends.Amqp.Channels;
using Herald.Frontends.Amqp.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// The AMQP connection layer on a loopback port with options and channel handlers of the test's choosing (the
/// in-process node always runs the defaults): a TcpListener whose sockets become Kestrel-style connection contexts
/// run by <see cref="AmqpConnection"/>, exactly as <see cref="AmqpConnectionHandler"/> runs them. The test disposes it.
/// </summary>
internal sealed class AmqpTestListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public AmqpTestListener(AmqpFrontendOptions options, Func<AmqpChannel, AmqpChannelMethods>? channelMethods = null)
    {
        var frontend = new AmqpFrontend(
            () => throw new InvalidOperationException("this test's handlers do not use the broker"),
            options, NullLoggerFactory.Instance, channelMethods);
        _listener.Start();
        _acceptLoop = AcceptAsync(frontend);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(AmqpFrontend frontend)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var stream = new NetworkStream(socket, ownsSocket: true);
                var context = new DefaultConnectionContext(Guid.NewGuid().ToString())
                {
                    Transport = new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream)),
                    RemoteEndPoint = socket.RemoteEndPoint,
                };
                connections.Add(Task.Run(async () =>
                {
                    await new AmqpConnection(frontend, context).RunAsync();
                    await stream.DisposeAsync();
                }));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        await Task.WhenAll(connections);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
