using System.Globalization;
using Herald.Bench.Common;
using Herald.TestKit;

namespace Herald.Bench.Amqp;

/// <summary>
/// A private RabbitMQ node (Debian's <c>rabbitmq-server</c>) for the benchmark, sharing nothing with a system
/// RabbitMQ: its own Erlang port mapper (<c>epmd</c>, started in the foreground as our child rather than daemonized
/// by Erlang, so it can be stopped by PID), node name, ports, config file, data (<c>RABBITMQ_MNESIA_BASE</c>), logs
/// and Erlang cookie (<c>HOME</c>), all under one directory. <c>RUNNING_UNDER_SYSTEMD</c> makes the start script
/// <c>exec</c> the VM instead of staying as a wrapper shell, so the PID we start is <c>beam.smp</c> itself: the process
/// whose CPU and memory are measured. SIGTERM stops the node cleanly (RabbitMQ handles it as <c>rabbitmqctl stop</c>).
/// </summary>
internal sealed class RabbitMqServer : IAsyncDisposable
{
    /// <summary>Debian's start script (the one in /usr/sbin switches to the rabbitmq user first).</summary>
    private const string StartScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly ProcessRunner _epmd;

    private RabbitMqServer(ProcessRunner epmd, ServerProcess server, int port)
    {
        _epmd = epmd;
        Server = server;
        Port = port;
    }

    public ServerProcess Server { get; }

    public int Port { get; }

    public static void CheckInstalled()
    {
        if (!File.Exists(StartScript))
        {
            throw new InvalidOperationException(
                $"{StartScript} is missing: install RabbitMQ with `apt-get install -y rabbitmq-server` (and stop the "
                + "system service if it started: the benchmark runs its own node on free ports).");
        }
    }

    public static async Task<RabbitMqServer> StartAsync(string name, string directory)
    {
        CheckInstalled();
        Directory.CreateDirectory(directory);
        var port = ProcessRunner.FreePort();
        var epmdPort = ProcessRunner.FreePort();
        var distributionPort = ProcessRunner.FreePort();
        var config = Path.Combine(directory, "rabbitmq.conf");
        // Loopback only; log to the console (read by ProcessRunner) instead of files; everything else is the default
        // of RabbitMQ 3.10 (classic queues, memory high watermark 0.4 of RAM), as a user installing it would run it.
        File.WriteAllLines(config,
        [
            $"listeners.tcp.default = 127.0.0.1:{port}",
            "log.console = true",
            "log.console.level = info",
            "log.file = false",
        ]);
        var plugins = Path.Combine(directory, "enabled_plugins");
        File.WriteAllText(plugins, "[].\n");

        var epmd = ProcessRunner.Start("epmd", ["-port", epmdPort.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            var environment = new Dictionary<string, string?>
            {
                ["HOME"] = directory,
                ["ERL_EPMD_PORT"] = epmdPort.ToString(CultureInfo.InvariantCulture),
                ["RABBITMQ_NODENAME"] = $"herald-bench-{Environment.ProcessId}@localhost",
                ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(CultureInfo.InvariantCulture),
                ["RABBITMQ_CONFIG_FILE"] = config,
                ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
                ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
                ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
                ["RUNNING_UNDER_SYSTEMD"] = "1",
            };
            var server = await ServerProcess.StartAsync(name, StartScript, [], "Server startup complete", environment);
            var command = File.ReadAllText($"/proc/{server.Pid}/comm").Trim();
            if (command != "beam.smp")
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"expected the RabbitMQ start script to exec beam.smp, but PID {server.Pid} is '{command}'");
            }
            return new RabbitMqServer(epmd, server, port);
        }
        catch
        {
            epmd.KillHard();
            epmd.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await ServerProcess.StopAsync(_epmd);
    }
}
