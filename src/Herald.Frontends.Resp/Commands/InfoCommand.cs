using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// INFO [section ...]: Redis's <c>key:value</c> report, each section under <c># Name</c>, sections separated by an
/// empty line, as a verbatim string in RESP3. Herald fills server, clients, memory, stats, replication, cpu and
/// keyspace with its own live figures (the process, the GC, the open connections, the channel hub); section names
/// are case-insensitive, <c>default</c>, <c>all</c> and <c>everything</c> select all of them, and unknown names
/// select nothing, as in Redis.
/// </summary>
internal static class InfoCommand
{
    private static readonly string[] Sections = ["server", "clients", "memory", "stats", "replication", "cpu", "keyspace"];

    public static ValueTask Execute(RespCommandContext context)
    {
        var selected = new HashSet<string>(StringComparer.Ordinal);
        if (context.ArgumentCount == 1)
        {
            selected.UnionWith(Sections);
        }
        for (var i = 1; i < context.ArgumentCount; i++)
        {
            var name = RespErrors.Quote(context.Argument(i), int.MaxValue).ToLowerInvariant();
            if (name is "default" or "all" or "everything")
            {
                selected.UnionWith(Sections);
            }
            else
            {
                selected.Add(name);
            }
        }

        var info = new StringBuilder();
        foreach (var section in Sections)
        {
            if (!selected.Contains(section))
            {
                continue;
            }
            if (info.Length > 0)
            {
                info.Append("\r\n");
            }
            switch (section)
            {
                case "server":
                    Server(info, context);
                    break;
                case "clients":
                    Clients(info, context.Frontend);
                    break;
                case "memory":
                    Memory(info);
                    break;
                case "stats":
                    Stats(info, context.Frontend);
                    break;
                case "replication":
                    info.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
                    break;
                case "cpu":
                    Cpu(info);
                    break;
                default:
                    // Redis prints the header alone for an empty keyspace; streams never expire.
                    info.Append("# Keyspace\r\n");
                    if (context.Broker.Streams.Count is var keys and > 0)
                    {
                        info.Append(CultureInfo.InvariantCulture, $"db0:keys={keys},expires=0,avg_ttl=0\r\n");
                    }
                    break;
            }
        }

        var bytes = Encoding.UTF8.GetBytes(info.ToString());
        using (context.BeginReply(out var writer))
        {
            writer.WriteVerbatimString(bytes, "txt"u8);
        }
        return ValueTask.CompletedTask;
    }

    private static void Server(StringBuilder info, RespCommandContext context)
    {
        var frontend = context.Frontend;
        var now = frontend.Clock.GetUtcNow();
        var uptime = (long)(now - frontend.StartedAt).TotalSeconds;
        var port = context.Connection.LocalAddress[(context.Connection.LocalAddress.LastIndexOf(':') + 1)..];
        info.Append("# Server\r\n");
        Line(info, "redis_version", frontend.Options.RedisVersion);
        Line(info, "herald_version", typeof(InfoCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        Line(info, "redis_mode", "standalone");
        Line(info, "os", $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}".Replace('\r', ' ').Replace('\n', ' '));
        Line(info, "arch_bits", Environment.Is64BitProcess ? "64" : "32");
        Line(info, "runtime", RuntimeInformation.FrameworkDescription);
        Line(info, "process_id", Environment.ProcessId);
        Line(info, "run_id", frontend.RunId);
        Line(info, "tcp_port", port);
        Line(info, "server_time_usec", now.ToUnixTimeMilliseconds() * 1000);
        Line(info, "uptime_in_seconds", uptime);
        Line(info, "uptime_in_days", uptime / 86400);
        Line(info, "executable", Environment.ProcessPath ?? "");
    }

    private static void Clients(StringBuilder info, RespFrontend frontend)
    {
        var connections = frontend.ConnectionsById();
        var subscribers = 0;
        long largestOutput = 0;
        foreach (var connection in connections)
        {
            subscribers += connection.InSubscribedMode ? 1 : 0;
            largestOutput = Math.Max(largestOutput, connection.BufferedOutputBytes);
        }
        info.Append("# Clients\r\n");
        Line(info, "connected_clients", connections.Count);
        Line(info, "client_recent_max_output_buffer", largestOutput);
        Line(info, "blocked_clients", 0);
        Line(info, "pubsub_clients", subscribers);
    }

    private static void Memory(StringBuilder info)
    {
        var used = GC.GetTotalMemory(forceFullCollection: false);
        var rss = Environment.WorkingSet;
        using var process = Process.GetCurrentProcess();
        info.Append("# Memory\r\n");
        Line(info, "used_memory", used);
        Line(info, "used_memory_human", Human(used));
        Line(info, "used_memory_rss", rss);
        Line(info, "used_memory_rss_human", Human(rss));
        Line(info, "used_memory_peak", process.PeakWorkingSet64);
        Line(info, "used_memory_peak_human", Human(process.PeakWorkingSet64));
        Line(info, "total_system_memory", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        Line(info, "maxmemory", 0);
        Line(info, "maxmemory_policy", "noeviction");
        Line(info, "mem_allocator", "dotnet-gc");
    }

    private static void Stats(StringBuilder info, RespFrontend frontend)
    {
        var statistics = frontend.Statistics;
        long commands = statistics.ClosedConnectionsCommands;
        long input = statistics.ClosedConnectionsInputBytes;
        long output = statistics.ClosedConnectionsOutputBytes;
        long errors = statistics.ClosedConnectionsErrorReplies;
        foreach (var connection in frontend.Connections)
        {
            commands += connection.CommandsProcessed;
            input += connection.InputBytes;
            output += connection.OutputBytes;
            errors += connection.ErrorReplies;
        }
        var hub = frontend.Broker.Channels;
        info.Append("# Stats\r\n");
        Line(info, "total_connections_received", statistics.ConnectionsReceived);
        Line(info, "total_commands_processed", commands);
        Line(info, "total_net_input_bytes", input);
        Line(info, "total_net_output_bytes", output);
        Line(info, "rejected_connections", 0);
        Line(info, "pubsub_channels", hub.ChannelCount);
        Line(info, "pubsub_patterns", hub.PatternCount);
        Line(info, "pubsubshard_channels", hub.ShardChannelCount);
        Line(info, "client_output_buffer_limit_disconnections", statistics.OutputLimitDisconnections);
        Line(info, "total_error_replies", errors);
        Line(info, "protocol_errors", statistics.ProtocolErrors);
    }

    private static void Cpu(StringBuilder info)
    {
        using var process = Process.GetCurrentProcess();
        info.Append("# CPU\r\n");
        Line(info, "used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
        Line(info, "used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
    }

    private static void Line(StringBuilder info, string key, string value) => info.Append(key).Append(':').Append(value).Append("\r\n");

    private static void Line(StringBuilder info, string key, long value) =>
        info.Append(key).Append(':').Append(value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");

    /// <summary>Redis's bytesToHuman: B, K, M, G with two decimals.</summary>
    private static string Human(long bytes) => bytes switch
    {
        < 1024 => $"{bytes}B",
        < 1024 * 1024 => ((double)bytes / 1024).ToString("F2", CultureInfo.InvariantCulture) + "K",
        < 1024L * 1024 * 1024 => ((double)bytes / (1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture) + "M",
        _ => ((double)bytes / (1024L * 1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture) + "G",
    };
}
