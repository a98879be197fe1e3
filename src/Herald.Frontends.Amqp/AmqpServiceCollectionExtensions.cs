using Herald.Frontends.Amqp.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp;

/// <summary>Registers the AMQP front end with a host's services, for <see cref="AmqpConnectionHandler"/> to use.</summary>
public static class AmqpServiceCollectionExtensions
{
    /// <summary>
    /// Adds the node's <see cref="AmqpFrontend"/>. The host must register a <c>Func&lt;Broker&gt;</c>; it is called on
    /// the first use, not here, because the broker starts after the services are built. <paramref name="channelMethods"/>
    /// makes each channel's method handler (the seam to the broker); by default the broker-backed
    /// <see cref="Messaging.BrokerChannelMethods"/>, tests may plug in their own. The host's
    /// <see cref="Herald.Broker.Resources.ResourceAlarms"/>, when registered, block publishers (none: never blocked).
    /// </summary>
    public static IServiceCollection AddAmqpFrontend(
        this IServiceCollection services, AmqpFrontendOptions? options = null, Func<AmqpChannel, AmqpChannelMethods>? channelMethods = null)
    {
        services.AddSingleton(provider =>
        {
            var loggerFactory = provider.GetRequiredService<ILoggerFactory>();
            return new AmqpFrontend(provider.GetRequiredService<Func<Herald.Broker.Broker>>(), options ?? new AmqpFrontendOptions(),
                loggerFactory, channelMethods ?? Messaging.BrokerChannelMethods.Factory(loggerFactory), clock: null,
                provider.GetService<Herald.Broker.Resources.ResourceAlarms>());
        });
        return services;
    }
}
