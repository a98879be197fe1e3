using Microsoft.Extensions.Hosting;

namespace Herald.Server.Hosting;

/// <summary>
/// The host lifetime of an in-process node: it neither listens for Ctrl+C or SIGTERM nor prints status, because
/// the process belongs to the application embedding Herald, which stops the node by disposing it.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
