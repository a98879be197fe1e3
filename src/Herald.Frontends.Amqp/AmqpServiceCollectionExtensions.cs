using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp;

/// <summary>Registers the AMQP front end with a host's services, for <see cref="AmqpConnectionHandler"/> to use.</summary>
public static class AmqpServiceCollectionExtensions
{
    /// <summary>
    /// Adds the node's <see cref="AmqpFrontend"/>. The host must register a <c>Func&lt;Broker&gt;</c>; it is called on
    /// the first use, not here, because the broker starts after the services are built.
    /// </summary>
    public static IServiceCollection AddAmqpFrontend(this IServiceCollection services, AmqpFrontendOptions? options = null)
    {
        services.AddSingleton(provider =>
        {
            var loggerFactory = provider.GetRequiredService<ILoggerFactory>();
            return new AmqpFrontend(provider.GetRequiredService<Func<Herald.Broker.Broker>>(), options ?? new AmqpFrontendOptions(),
                loggerFactory, Messaging.BrokerChannelMethods.Factory(loggerFactory));
        });
        return services;
    }
}
