using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Resp;

/// <summary>Registers the RESP front end with a host's services, for <see cref="RespConnectionHandler"/> to use.</summary>
public static class RespServiceCollectionExtensions
{
    /// <summary>
    /// Adds the node's <see cref="RespFrontend"/>. The host must register a <c>Func&lt;Broker&gt;</c>; it is called
    /// on the first connection, not here, because the broker usually starts after the services are built. The
    /// node's <see cref="Herald.Broker.Resources.ResourceAlarms"/>, when registered, refuse writes while in effect.
    /// </summary>
    public static IServiceCollection AddRespFrontend(
        this IServiceCollection services, RespFrontendOptions? options = null)
    {
        // The broker is reached through the Func<Broker> the host registers: connection handlers are built before
        // the broker starts, and use it once connections arrive.
        services.AddSingleton(provider => new RespFrontend(
            provider.GetRequiredService<Func<Herald.Broker.Broker>>(), options ?? new RespFrontendOptions(),
            provider.GetRequiredService<ILoggerFactory>(), alarms: provider.GetService<Herald.Broker.Resources.ResourceAlarms>()));
        return services;
    }
}
