using Herald.Broker.Resources;
using Herald.Frontends.Amqp.Channels;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp;

/// <summary>
/// The AMQP front end's node-wide state, shared by every connection: options, logger, clock, the broker, the node's
/// resource alarms and the factory of per-channel method handlers. One per node, created by the composition root (see
/// <see cref="AmqpServiceCollectionExtensions"/>); thread-safe. The broker is reached through a delegate resolved on
/// first use, because Kestrel builds connection handlers before the broker starts.
/// </summary>
public sealed class AmqpFrontend
{
    private readonly Lazy<Herald.Broker.Broker> _broker;
    private long _lastConnectionId;

    public AmqpFrontend(
        Func<Herald.Broker.Broker> broker,
        AmqpFrontendOptions options,
        ILoggerFactory loggerFactory,
        Func<AmqpChannel, AmqpChannelMethods>? channelMethods = null,
        TimeProvider? clock = null,
        ResourceAlarms? alarms = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _broker = new Lazy<Herald.Broker.Broker>(broker, LazyThreadSafetyMode.ExecutionAndPublication);
        Options = options;
        Logger = loggerFactory.CreateLogger<AmqpConnectionHandler>();
        Clock = clock ?? TimeProvider.System;
        ChannelMethods = channelMethods ?? (channel => new SpecDefaultChannelMethods(channel));
        Alarms = alarms ?? new ResourceAlarms();
    }

    public AmqpFrontendOptions Options { get; }

    public Herald.Broker.Broker Broker => _broker.Value;

    /// <summary>The node's memory and disk alarms: publishing connections stop being read while any is in effect.</summary>
    public ResourceAlarms Alarms { get; }

    /// <summary>Creates the method handler of each channel when it opens.</summary>
    internal Func<AmqpChannel, AmqpChannelMethods> ChannelMethods { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Clock { get; }

    internal long NextConnectionId() => Interlocked.Increment(ref _lastConnectionId);
}
