using System.Net;
using Herald.Broker.Resources;
using Herald.Server.Broker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Herald.Server;

/// <summary>
/// A running node, returned by <see cref="HeraldServer.StartAsync"/>. It reports where the node listens (the real
/// ports when the options asked for port 0) and which data directory it owns. Disposing it stops the node
/// gracefully: listeners close, then the data directory is released. Safe to stop or dispose more than once and
/// from any thread.
/// </summary>
public sealed class HeraldInstance : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _stopGate = new();
    private Task? _stop;

    internal HeraldInstance(WebApplication app, HeraldOptions options, IReadOnlyList<HeraldListenerEndpoint> listeners)
    {
        _app = app;
        DataDirectory = options.DataDirectory;
        BindAddress = options.BindAddress;
        Listeners = listeners;
    }

    /// <summary>Absolute path of the data directory the node has locked.</summary>
    public string DataDirectory { get; }

    /// <summary>The address every listener is bound to.</summary>
    public IPAddress BindAddress { get; }

    /// <summary>Every bound listener, in bind order.</summary>
    public IReadOnlyList<HeraldListenerEndpoint> Listeners { get; }

    /// <summary>Port of the HTTP listener (health endpoints).</summary>
    /// <exception cref="InvalidOperationException">The node has no HTTP listener.</exception>
    public int HttpPort => PortOf("http") ?? throw new InvalidOperationException("This node has no http listener.");

    /// <summary>Port of the Kafka listener, or null when the node binds none.</summary>
    public int? KafkaPort => PortOf("kafka");

    /// <summary>Port of the AMQP 0-9-1 listener, or null when the node binds none.</summary>
    public int? AmqpPort => PortOf("amqp");

    /// <summary>Port of the RESP listener, or null when the node binds none.</summary>
    public int? RespPort => PortOf("resp");

    /// <summary>Port of the listener for <paramref name="protocol"/> (<c>http</c>, <c>kafka</c>, ...), or null when there is none.</summary>
    public int? PortOf(string protocol) =>
        Listeners.FirstOrDefault(l => string.Equals(l.Protocol, protocol, StringComparison.OrdinalIgnoreCase))?.EndPoint.Port;

    /// <summary>
    /// The node's memory and disk monitor: the alarms in effect, the last measurement, and the limits, which can be
    /// changed while the node runs (as RabbitMQ's <c>rabbitmqctl set_vm_memory_high_watermark</c> and
    /// <c>set_disk_free_limit</c>).
    /// </summary>
    public ResourceMonitor Resources => _app.Services.GetRequiredService<BrokerService>().Resources;

    /// <summary>
    /// Stops the node gracefully: stops accepting, lets in-flight work finish (until
    /// <paramref name="cancellationToken"/> fires), then releases the data directory. Later calls return the first
    /// call's task.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            return _stop ??= _app.StopAsync(cancellationToken);
        }
    }

    /// <summary>Stops the node (see <see cref="StopAsync"/>) and frees its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Completes when something asked the host to stop (SIGTERM, Ctrl+C) and the node has stopped.</summary>
    internal async Task WaitForShutdownAsync()
    {
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }

        await StopAsync();
    }
}
