using System.Net;
using System.Runtime.CompilerServices;
using Herald.Frontends.Kafka;
using Herald.Frontends.Amqp;
using Herald.Frontends.Resp;
using Herald.Server.Broker;
using Herald.Server.Health;
using Herald.Server.Hosting.Transport;
using Herald.Server.Hosting.Transport.EventLoop;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>Who owns the process a node runs in.</summary>
internal enum HeraldHostMode
{
    /// <summary>The <c>herald</c> executable: Ctrl+C and SIGTERM stop the node.</summary>
    CommandLine,

    /// <summary>An application hosting Herald in-process: it stops the node by disposing it.</summary>
    Embedded,
}

/// <summary>
/// The one place a node is composed and started, shared by the <c>herald</c> executable and
/// <see cref="HeraldServer.StartAsync"/>: logging, the storage service, one Kestrel listener per
/// <see cref="ProtocolListener"/>, and the HTTP endpoints. Startup failures an operator can fix come out as
/// <see cref="HeraldStartupException"/>, with nothing left bound or locked.
/// </summary>
internal static class HeraldHost
{
    public static async Task<HeraldInstance> StartAsync(
        HeraldOptions options, IReadOnlyList<ProtocolListener> listeners, HeraldHostMode mode, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new HeraldStartupException(HeraldStartupError.InvalidOptions, string.Join("; ", problems));
        }

        var resolved = options.ResolvedCopy();
        CheckPortsAreDistinct(resolved, listeners);

        var bound = new List<(ProtocolListener Listener, ListenOptions ListenOptions)>();
        var started = new StrongBox<bool>();
        var app = Build(resolved, listeners, mode, bound, started);
        try
        {
            await app.StartAsync(cancellationToken);
            started.Value = true;
        }
        catch (Exception e)
        {
            await StopAfterFailedStartAsync(app);
            if (Explain(e, resolved, listeners) is { } explained)
            {
                throw explained;
            }

            throw;
        }

        // Kestrel writes the bound endpoint back into each ListenOptions, so port 0 reads back as the real port.
        var endpoints = bound
            .Select(b => new HeraldListenerEndpoint(b.Listener.Name, (IPEndPoint)b.ListenOptions.EndPoint))
            .ToList();
        return new HeraldInstance(app, resolved, endpoints);
    }

    /// <summary>
    /// Stops what did start (the data directory lock, listeners already bound) so a failed start leaves nothing
    /// behind. A failure while stopping is dropped: the start failure is the one worth reporting.
    /// </summary>
    private static async Task StopAfterFailedStartAsync(WebApplication app)
    {
        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // Deliberately ignored; see the summary.
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static WebApplication Build(
        HeraldOptions options,
        IReadOnlyList<ProtocolListener> listeners,
        HeraldHostMode mode,
        List<(ProtocolListener Listener, ListenOptions ListenOptions)> bound,
        StrongBox<bool> started)
    {
        // The empty builder reads no appsettings.json, ASPNETCORE_* variables or arguments: HeraldOptions is the
        // whole configuration, whichever way the node was started.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "herald" });
        ConfigureLogging(builder.Logging, options.LogFormat, started);

        builder.Services.AddSingleton(options);
        // One instance, both a hosted service (its lifetime) and a singleton (front ends reach the engine through it).
        builder.Services.AddSingleton<StorageService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StorageService>());
        // Started after storage (hosted services start in registration order, before the listeners).
        // The node's memory and disk alarms: raised by BrokerService's monitor, read by the front ends.
        builder.Services.AddSingleton<Herald.Broker.Resources.ResourceAlarms>();
        builder.Services.AddSingleton<BrokerService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BrokerService>());
        // Kestrel builds connection handlers while the host is composed, before BrokerService has started: they get
        // a way to reach the broker and use it once connections arrive.
        builder.Services.AddSingleton<Func<Herald.Broker.Broker>>(services =>
        {
            var brokerService = services.GetRequiredService<BrokerService>();
            return () => brokerService.Broker;
        });
        builder.Services.AddSingleton(new KafkaFrontendOptions
        {
            BindAddress = options.BindAddress,
            AdvertisedHost = options.KafkaAdvertisedHost.Length > 0 ? options.KafkaAdvertisedHost : null,
            AdvertisedPort = options.KafkaAdvertisedPort > 0 ? options.KafkaAdvertisedPort : null,
        });
        builder.Services.AddAmqpFrontend();
        builder.Services.AddRespFrontend();
        if (mode == HeraldHostMode.Embedded)
        {
            builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        }
        else
        {
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        }

        // A connection's handler runs on the thread that received its bytes, and its flushes send on the thread that
        // wrote them, instead of each step being queued to the thread pool: for small requests those hand-offs (a
        // thread switch each) cost more than the request. Safe here because no front end blocks a thread: handlers
        // await storage and each other, and long work (fsync, compaction, retention) has its own threads.
        builder.Services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        // Registered before Kestrel, whose TryAdd of the plain socket transport then does nothing.
        builder.Services.AddSingleton<IConnectionListenerFactory>(services =>
            new PortInUseReportingListenerFactory(ActivatorUtilities.CreateInstance<SocketTransportFactory>(services),
                services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listener in listeners)
            {
                IPEndPoint endpoint = listener switch
                {
                    { ReceiveBytes: > 0 } => new LargeReceiveEndPoint(options.BindAddress, listener.Port(options), listener.ReceiveBytes, listener.KafkaFrames),
                    { EventLoop: true } when LinuxNative.IsSupported => new EventLoopEndPoint(options.BindAddress, listener.Port(options), listener.Name),
                    _ => new IPEndPoint(options.BindAddress, listener.Port(options)),
                };
                kestrel.Listen(endpoint, listen =>
                {
                    listener.Configure(listen);
                    bound.Add((listener, listen));
                });
            }
        });
        builder.Services.AddRoutingCore();

        var app = builder.Build();
        app.MapHealthEndpoints();
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, HeraldLogFormat format, StrongBox<bool> started)
    {
        const string timestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        // Framework information events (every request, every hosting step) would drown Herald's own.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        // The host logs a failed start with its stack trace, then throws the same exception to StartAsync, where
        // it becomes one clear line (or is printed in full when unexpected). Logging it twice only buries that line.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Warning && started.Value);
        if (format == HeraldLogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = timestampFormat.TrimEnd();
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = timestampFormat;
            });
        }
    }

    /// <summary>Two listeners on one fixed port would fail to bind; say so before trying.</summary>
    private static void CheckPortsAreDistinct(HeraldOptions options, IReadOnlyList<ProtocolListener> listeners)
    {
        var clash = listeners
            .Where(l => l.Port(options) != 0)
            .GroupBy(l => l.Port(options))
            .FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new HeraldStartupException(
                HeraldStartupError.InvalidOptions,
                $"{string.Join(" and ", clash.Select(l => l.Name))} are all configured for port {clash.Key}");
        }
    }

    /// <summary>The operator-facing form of a startup failure, or null when it is not one an operator can fix.</summary>
    private static HeraldStartupException? Explain(Exception failure, HeraldOptions options, IReadOnlyList<ProtocolListener> listeners)
    {
        foreach (var e in Flatten(failure))
        {
            switch (e)
            {
                case HeraldStartupException startup:
                    return startup;
                case PortInUseException { EndPoint: IPEndPoint endpoint } portInUse:
                    var name = listeners.FirstOrDefault(l => l.Port(options) == endpoint.Port)?.Name ?? "a listener";
                    return new HeraldStartupException(
                        HeraldStartupError.PortInUse,
                        $"cannot listen for {name} on {endpoint}: port {endpoint.Port} is already in use",
                        portInUse);
            }
        }

        return null;
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        yield return e;
        IEnumerable<Exception> children = e switch
        {
            AggregateException aggregate => aggregate.InnerExceptions,
            { InnerException: { } inner } => [inner],
            _ => [],
        };
        foreach (var child in children.SelectMany(Flatten))
        {
            yield return child;
        }
    }
}
