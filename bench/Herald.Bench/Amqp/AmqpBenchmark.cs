using Herald.Bench.Cli;
using Herald.Bench.Common;
using RabbitMQ.Client;

namespace Herald.Bench.Amqp;

/// <summary>
/// <c>amqp</c>: RabbitMQ.Client against a private RabbitMQ node and against Herald (one server per fsync policy), all
/// running at once as separate processes and measured in turn, the order rotating every round: publish rate with
/// confirms to a durable queue, consume rate with manual acks and prefetch, end-to-end latency at 10,000 msg/s, each
/// broker's CPU time per message (user+system of the broker process / messages moved), and resident memory with
/// 1,000,000 persistent 1 KiB messages queued. Herald's ratios to RabbitMQ are judged against issue 5's goals.
/// </summary>
internal sealed class AmqpBenchmark : IBenchCommand
{
    public const string Reference = "rabbitmq";
    public const string MemoryCase = "memory";

    public string Name => "amqp";

    public string Summary => "RabbitMQ.Client vs rabbitmq-server: confirmed publish, consume, latency, CPU per message, memory";

    public string Usage =>
        "usage: bench/run amqp [--fsync always|interval[,...]] [--dir <path>] [--seconds <n>] [--mib <n>] [--rounds <n>] [--out <file>] [--only <text>] [--quick]\n"
        + "  --fsync <policies>  herald servers to run, one per policy (default always,interval; --quick: always)\n"
        + "case ids: publish-16b-x1, publish-1k-x4, consume-16b-x4, latency-1k-x1, … (kind-size-xclients), memory\n"
        + BenchOptions.CommonUsage;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        string[]? fsync = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--fsync")
            {
                fsync = i + 1 < args.Count ? args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
                if (fsync.Length == 0 || fsync.Any(p => p is not ("always" or "interval" or "os")))
                {
                    throw new UsageException("--fsync needs always, interval or os (several separated by commas).");
                }
                continue;
            }
            rest.Add(args[i]);
        }
        var options = BenchOptions.Parse(rest);
        var settings = AmqpSettings.From(options, fsync);
        RabbitMqServer.CheckInstalled();
        var started = DateTimeOffset.UtcNow;
        var root = RepositoryPaths.CreateRunDirectory(options.Directory, Name, started);
        var machine = MachineInfo.Describe(root);
        Progress($"machine: {machine}");
        Progress($"load average: {machine.LoadAverage} (other work on the machine makes the figures noisy)");

        var brokers = new List<AmqpBroker>();
        var run = new AmqpRun(settings, options);
        try
        {
            var rabbit = await RabbitMqServer.StartAsync(Reference, Path.Combine(root, Reference));
            brokers.Add(new AmqpBroker(Reference, rabbit.Port, rabbit.Server, rabbit.DisposeAsync));
            foreach (var policy in settings.FsyncPolicies)
            {
                var name = $"herald-{policy}";
                var (herald, port) = await ServerProcess.StartHeraldAsync(name, Path.Combine(root, name), policy, "amqp");
                brokers.Add(new AmqpBroker(name, port, herald, herald.DisposeAsync));
            }
            Progress("brokers: " + string.Join(", ", brokers.Select(b => $"{b.Name} (pid {b.Process.Pid}, port {b.Port})")));
            await run.MeasureAsync(brokers, cancellationToken);
        }
        finally
        {
            foreach (var broker in brokers)
            {
                await broker.StopAsync();
            }
            Directory.Delete(root, recursive: true);
        }

        var results = new AmqpResults(started, machine, MachineInfo.ReadLoadAverage(), settings, AmqpLoad.ConfirmWindowSize,
            AmqpLoad.Prefetch, run.Runs, run.Memory);
        Console.Out.Write(AmqpReport.ToMarkdown(results));
        var path = ResultsFile.Write(Name, results, options.Output, started);
        Progress($"results written to {path}");
        return ExitCodes.Ok;
    }

    public static void Progress(string message) => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");

    /// <summary>The cases of one run over the brokers, and what they measured.</summary>
    private sealed class AmqpRun(AmqpSettings settings, BenchOptions options)
    {
        public List<AmqpCaseRun> Runs { get; } = [];

        public List<AmqpMemoryRun> Memory { get; } = [];

        public async Task MeasureAsync(List<AmqpBroker> brokers, CancellationToken cancellationToken)
        {
            await WarmUpAsync(brokers, cancellationToken);
            for (var round = 1; round <= settings.Rounds; round++)
            {
                // Rotate which broker goes first, so slow drift on the machine does not always favour the same one.
                var shift = (round - 1) % brokers.Count;
                var order = brokers.Skip(shift).Concat(brokers.Take(shift)).ToList();
                foreach (var size in AmqpSettings.MessageSizes)
                {
                    foreach (var clients in AmqpSettings.ClientCounts)
                    {
                        await PublishAndConsumeAsync(order, size, clients, round, cancellationToken);
                        await LatencyAsync(order, size, clients, round, cancellationToken);
                    }
                }
            }
            if (options.Includes(MemoryCase))
            {
                foreach (var broker in brokers)
                {
                    Memory.Add(await MemoryAsync(broker, cancellationToken));
                }
            }
        }

        /// <summary>
        /// Every publish case briefly on every broker, drained, unrecorded: Herald's code is jitted and tiered up and
        /// RabbitMQ's message store files exist before anything is measured.
        /// </summary>
        private async Task WarmUpAsync(List<AmqpBroker> brokers, CancellationToken cancellationToken)
        {
            foreach (var broker in brokers)
            {
                foreach (var size in AmqpSettings.MessageSizes)
                {
                    foreach (var clients in AmqpSettings.ClientCounts)
                    {
                        const string queue = "bench-warm-up";
                        try
                        {
                            await AmqpAdmin.DeclareAsync(broker, queue, cancellationToken);
                            var published = await AmqpLoad.PublishAsync(broker, queue, clients, size, settings.WarmUpSeconds,
                                settings.CaseBytes / size, cancellationToken);
                            await AmqpLoad.DrainAsync(broker, queue, clients, published.Messages, cancellationToken);
                            await AmqpAdmin.DeleteAsync(broker, queue, cancellationToken);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            Progress($"warm-up on {broker.Name} failed: {e.Message}");
                        }
                    }
                }
            }
            Progress("warm-up done");
        }

        /// <summary>
        /// The publish case on every broker (each into a fresh durable queue), then the consume case draining those
        /// queues. With only the consume case selected, the publish step still runs (unrecorded) to fill the queue.
        /// </summary>
        private async Task PublishAndConsumeAsync(List<AmqpBroker> order, int size, int clients, int round,
            CancellationToken cancellationToken)
        {
            var publishId = AmqpSettings.CaseId("publish", size, clients);
            var consumeId = AmqpSettings.CaseId("consume", size, clients);
            if (!options.Includes(publishId) && !options.Includes(consumeId))
            {
                return;
            }
            var queue = $"bench-{publishId}-r{round}";
            var filled = new HashSet<AmqpBroker>();
            foreach (var broker in order)
            {
                var run = await MeasureAsync(publishId, broker, round, async () =>
                {
                    await AmqpAdmin.DeclareAsync(broker, queue, cancellationToken);
                    return await AmqpLoad.PublishAsync(broker, queue, clients, size, settings.CaseSeconds,
                        settings.CaseBytes / size, cancellationToken);
                });
                if (run.Error is null)
                {
                    filled.Add(broker);
                }
                if (options.Includes(publishId))
                {
                    Record(run);
                }
            }
            foreach (var broker in order)
            {
                if (options.Includes(consumeId) && filled.Contains(broker))
                {
                    Record(await MeasureAsync(consumeId, broker, round, async () =>
                    {
                        var queued = await AmqpAdmin.MessageCountAsync(broker, queue, cancellationToken);
                        return await AmqpLoad.DrainAsync(broker, queue, clients, queued, cancellationToken);
                    }));
                }
                await DeleteQuietlyAsync(broker, queue, cancellationToken);
            }
        }

        private async Task LatencyAsync(List<AmqpBroker> order, int size, int clients, int round, CancellationToken cancellationToken)
        {
            var id = AmqpSettings.CaseId("latency", size, clients);
            if (!options.Includes(id))
            {
                return;
            }
            var queue = $"bench-{id}-r{round}";
            foreach (var broker in order)
            {
                LatencySample? latency = null;
                var run = await MeasureAsync(id, broker, round, async () =>
                {
                    await AmqpAdmin.DeclareAsync(broker, queue, cancellationToken);
                    latency = await AmqpLoad.LatencyAsync(broker, queue, clients, size, AmqpSettings.LatencyMessagesPerSecond,
                        settings.LatencySeconds, AmqpSettings.LatencyWarmUpSeconds, cancellationToken);
                    return latency.Load;
                });
                Record(run with { Latency = latency });
                await DeleteQuietlyAsync(broker, queue, cancellationToken);
            }
        }

        private async Task<AmqpMemoryRun> MemoryAsync(AmqpBroker broker, CancellationToken cancellationToken)
        {
            const string queue = "bench-memory";
            var before = broker.Process.ResidentBytes();
            try
            {
                await AmqpAdmin.DeclareAsync(broker, queue, cancellationToken);
                var published = await AmqpLoad.PublishAsync(broker, queue, AmqpSettings.MemoryPublishers, AmqpSettings.MemoryMessageSize,
                    double.PositiveInfinity, settings.MemoryMessages, cancellationToken);
                var queued = await AmqpAdmin.MessageCountAsync(broker, queue, cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken); // let collections and flushes settle
                var after = broker.Process.ResidentBytes();
                var run = new AmqpMemoryRun(broker.Name, queued, published.PerSecond, published.ServerMicrosPerMessage, before, after,
                    broker.Process.AnonymousResidentBytes(), published.Error);
                Progress($"memory on {broker.Name}: {queued} messages queued at {published.PerSecond:F0}/s, resident {before >> 20} -> {after >> 20} MiB");
                return run;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Progress($"memory on {broker.Name} failed: {e.Message}");
                return new AmqpMemoryRun(broker.Name, 0, double.NaN, double.NaN, before, broker.Process.ResidentBytes(), -1, e.Message);
            }
            finally
            {
                await DeleteQuietlyAsync(broker, queue, cancellationToken);
            }
        }

        private static async Task<AmqpCaseRun> MeasureAsync(string id, AmqpBroker broker, int round, Func<Task<LoadSample>> step)
        {
            try
            {
                var sample = await step();
                return new AmqpCaseRun(id, broker.Name, round, sample, null, sample.Error);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new AmqpCaseRun(id, broker.Name, round, null, null, $"{e.GetType().Name}: {e.Message}");
            }
        }

        private void Record(AmqpCaseRun run)
        {
            Runs.Add(run);
            var figures = run.Load is not { } load ? ""
                : $"{load.PerSecond:F0} msg/s, server {load.ServerMicrosPerMessage:F1} µs/msg, client {load.ClientMicrosPerMessage:F1} µs/msg"
                  + (run.Latency is { } l ? $", p50 {l.P50Ms:F2} ms, p99 {l.P99Ms:F2} ms" : "");
            Progress($"[round {run.Round}] {run.Case} on {run.Broker}: {figures}{(run.Error is null ? "" : " ERROR " + run.Error)}");
        }

        private static async Task DeleteQuietlyAsync(AmqpBroker broker, string queue, CancellationToken cancellationToken)
        {
            try
            {
                await AmqpAdmin.DeleteAsync(broker, queue, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Progress($"deleting {queue} on {broker.Name} failed: {e.Message}");
            }
        }
    }
}

/// <summary>A broker under test: its name in the report, its AMQP port, its process, and how to stop it.</summary>
internal sealed record AmqpBroker(string Name, int Port, ServerProcess Process, Func<ValueTask> StopAsync);

/// <summary>Queue declare, count and delete over a short-lived connection of their own.</summary>
internal static class AmqpAdmin
{
    /// <summary>Declares a durable classic queue (the default type in RabbitMQ 3.10).</summary>
    public static Task DeclareAsync(AmqpBroker broker, string queue, CancellationToken cancellationToken) =>
        WithChannelAsync(broker, channel => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            cancellationToken: cancellationToken), cancellationToken);

    public static async Task<long> MessageCountAsync(AmqpBroker broker, string queue, CancellationToken cancellationToken)
    {
        long count = 0;
        await WithChannelAsync(broker, async channel => count = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount,
            cancellationToken);
        return count;
    }

    public static Task DeleteAsync(AmqpBroker broker, string queue, CancellationToken cancellationToken) =>
        WithChannelAsync(broker, channel => channel.QueueDeleteAsync(queue, cancellationToken: cancellationToken), cancellationToken);

    private static async Task WithChannelAsync(AmqpBroker broker, Func<IChannel, Task> action, CancellationToken cancellationToken)
    {
        await using var connection = await AmqpLoad.ConnectAsync(broker, "herald-bench-admin", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await action(channel);
        await channel.CloseAsync(cancellationToken);
    }
}
