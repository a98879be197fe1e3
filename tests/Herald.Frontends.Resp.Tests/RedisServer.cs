using System.Globalization;
using Herald.TestKit;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// Debian's redis-server on a free loopback port, as the reference for differential tests: no persistence
/// (<c>--save '' --appendonly no</c>) and one database, so SELECT answers as Herald's single database does. Killed
/// by its process id on dispose.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private ProcessRunner? _process;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        // The free port may be taken between the check and the bind: try a few.
        for (var attempt = 0; ; attempt++)
        {
            Port = ProcessRunner.FreePort();
            var process = ProcessRunner.Start(
                "redis-server",
                ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--databases", "1", "--daemonize", "no", "--loglevel", "notice"]);
            try
            {
                await process.WaitForLineAsync(line => line.Contains("Ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
                _process = process;
                return;
            }
            catch (Exception) when (attempt < 3)
            {
                process.Dispose();
            }
        }
    }

    public Task DisposeAsync()
    {
        _process?.Dispose();
        return Task.CompletedTask;
    }
}
