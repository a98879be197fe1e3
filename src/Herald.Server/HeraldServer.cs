using Herald.Server.Hosting;

namespace Herald.Server;

/// <summary>
/// Runs a Herald node inside the calling process, composed exactly as the <c>herald</c> executable composes it.
/// For tests and for applications that embed a broker:
/// <code>
/// var options = HeraldOptions.ForTests();
/// await using var herald = await HeraldServer.StartAsync(options);
/// using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{herald.HttpPort}") };
/// </code>
/// The embedded node does not handle Ctrl+C or SIGTERM; the application stops it by disposing the instance.
/// </summary>
public static class HeraldServer
{
    /// <summary>Starts a node and returns once every listener is bound.</summary>
    /// <param name="options">Copied at start; later changes have no effect on the running node.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <exception cref="HeraldStartupException">
    /// The options are invalid, a port is taken, or the data directory is unusable or owned by another node.
    /// </exception>
    public static Task<HeraldInstance> StartAsync(HeraldOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return HeraldHost.StartAsync(options, HeraldListeners.All, HeraldHostMode.Embedded, cancellationToken);
    }
}
