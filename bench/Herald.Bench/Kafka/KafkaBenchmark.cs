using System.Globalization;
using System.Text.Json;
using Herald.Bench.Cli;
using Herald.Bench.Common;
using Herald.Bench.Storage;

namespace Herald.Bench.Kafka;

/// <summary>
/// <c>kafka</c>: a real <c>herald</c> process driven by librdkafka 2.0.2 (its producer called in-process, a confluent-kafka-python
/// consumer and latency probe), next to the machine's loopback TCP bandwidth and disk write speed measured in the same
/// run: produce throughput (100 B and 1 KiB records, acks=1 and all, 1 and 4 producers), consume throughput,
/// end-to-end latency at 10,000 records/s, Herald's CPU per record, and the startup time and memory of a node holding
/// 1,000 topics × 10 partitions. Rounds are interleaved (every probe and case once per round) and medians reported.
/// </summary>
internal sealed class KafkaBenchmark : IBenchCommand
{
    public const string ConsumeCasePrefix = "consume-";
    public const string LatencyCase = "latency-10k";
    public const string ScaleCase = "scale-1000x10";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(5);

    public string Name => "kafka";

    public string Summary => "Kafka produce/consume throughput, latency, CPU per record and scale of a herald process";

    public string Usage =>
        "usage: bench/run kafka [--fsync always|interval|os] [--dir <path>] [--seconds <n>] [--mib <n>] [--rounds <n>] [--out <file>] [--only <text>] [--quick]\n"
        + "  --fsync <policy>  herald's fsync policy for the run (default: herald's own default, always)\n"
        + BenchOptions.CommonUsage;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var fsync = "always";
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--fsync")
            {
                fsync = i + 1 < args.Count && args[i + 1] is "always" or "interval" or "os"
                    ? args[++i] : throw new UsageException("--fsync needs always, interval or os.");
                continue;
            }
            rest.Add(args[i]);
        }
        var options = BenchOptions.Parse(rest);
        var settings = KafkaSettings.From(options, fsync);
        LoadScript.CheckTools();
        var started = DateTimeOffset.UtcNow;
        var parent = Path.GetFullPath(options.Directory ?? RepositoryPaths.ArtifactsBench);
        Directory.CreateDirectory(parent);
        var root = Path.Combine(parent, $"kafka-{started.UtcDateTime:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        KafkaResults results;
        try
        {
            results = await new KafkaRun(root, settings, options, started).MeasureAsync(cancellationToken);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        Console.Out.Write(KafkaReport.ToMarkdown(results));
        var path = ResultsFile.Write(Name, results, options.Output, started);
        Progress($"results written to {path}");
        return ExitCodes.Ok;
    }

    public static void Progress(string message) =>
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");

    /// <summary>The state of one run: the directory, the broker under test and the per-case calibration.</summary>
    private sealed class KafkaRun(string root, KafkaSettings settings, BenchOptions options, DateTimeOffset started)
    {
        /// <summary>Records/s each produce case reached last time, to size its next run to about CaseSeconds.</summary>
        private readonly Dictionary<string, double> _rates = [];

        public async Task<KafkaResults> MeasureAsync(CancellationToken cancellationToken)
        {
            var machine = MachineInfo.Describe(root);
            Progress($"machine: {machine}");
            Progress($"load average: {machine.LoadAverage} (other work on the machine makes the figures noisy)");
            var cases = ProduceCase.All().Where(c => options.Includes(c.Id)).ToList();
            ScaleSetup? scaleSetup = null;
            var scaleDirectory = Path.Combine(root, "scale-data");
            if (options.Includes(ScaleCase))
            {
                scaleSetup = await CreateScaleDataAsync(scaleDirectory, cancellationToken);
            }

            var loopback = new List<LoopbackResult>();
            var disk = new List<DiskProbeResult>();
            var produce = new List<ThroughputRun>();
            var consume = new List<ThroughputRun>();
            var latency = new List<LatencyRun>();
            var scale = new List<ScaleRun>();
            using (var herald = await HeraldProcess.StartAsync(Path.Combine(root, "data"), settings.Fsync))
            {
                Progress($"herald {herald.ProcessId} on {herald.Bootstrap}, fsync {settings.Fsync}");
                await WarmUpAsync(herald, cases, cancellationToken);
                for (var round = 1; round <= settings.Rounds; round++)
                {
                    var tag = $"[round {round}/{settings.Rounds}]";
                    if (options.Includes(LoopbackProbe.Id))
                    {
                        var result = await LoopbackProbe.RunAsync(settings.LoopbackSeconds, round, cancellationToken);
                        Progress($"{tag} loopback TCP: {result.MBps:F0} MB/s");
                        loopback.Add(result);
                    }
                    if (options.Includes(DiskProbes.DdSequential))
                    {
                        var result = await DiskProbes.DdSequentialAsync(root, settings.DiskProbeBytes, round, cancellationToken);
                        Progress($"{tag} dd: {result.MBps:F0} MB/s");
                        disk.Add(result);
                    }
                    var topics = cases.Select(c => new TopicSpec(TopicName(round, c.Id), c.Producers)).ToList();
                    if (options.Includes(LatencyCase))
                    {
                        topics.Add(new TopicSpec(TopicName(round, LatencyCase), 1));
                    }
                    await CreateTopicsAsync(herald, topics, cancellationToken);
                    foreach (var produceCase in cases)
                    {
                        var run = await ProduceAsync(herald, produceCase, TopicName(round, produceCase.Id), round, cancellationToken);
                        Progress($"{tag} {produceCase.Label}: {run.RecordsPerSecond:N0} records/s, {run.MBps:F0} MB/s, "
                            + $"server {run.ServerCpuUsPerRecord:F2} µs/record, client {run.ClientCpuUsPerRecord:F2} µs/record");
                        produce.Add(run);
                    }
                    foreach (var size in KafkaSettings.RecordSizes)
                    {
                        var source = produce.Find(r => r.Round == round && r.Case == new ProduceCase(size, "1", 4).Id);
                        var id = ConsumeCasePrefix + ProduceCase.SizeId(size);
                        if (source is null || !options.Includes(id))
                        {
                            continue;
                        }
                        var run = await ConsumeAsync(herald, id, TopicName(round, source.Case), source.Records, round, cancellationToken);
                        Progress($"{tag} {id}: {run.RecordsPerSecond:N0} records/s, {run.MBps:F0} MB/s, "
                            + $"server {run.ServerCpuUsPerRecord:F2} µs/record, client {run.ClientCpuUsPerRecord:F2} µs/record");
                        consume.Add(run);
                    }
                    if (options.Includes(LatencyCase))
                    {
                        var run = await LatencyAsync(herald, TopicName(round, LatencyCase), round, cancellationToken);
                        Progress($"{tag} latency at {KafkaSettings.LatencyRecordsPerSecond:N0}/s: p50 {run.P50Ms:F2} ms, p99 {run.P99Ms:F2} ms");
                        latency.Add(run);
                    }
                    // Deleting the round's topics keeps the disk from filling over many rounds.
                    await DeleteTopicsAsync(herald, topics.Select(t => t.Name), cancellationToken);
                    if (scaleSetup is not null)
                    {
                        var run = await RestartScaleNodeAsync(scaleDirectory, round);
                        Progress($"{tag} {ScaleCase}: started in {run.StartupSeconds:F2} s, {run.ResidentBytes / 1e6:F0} MB resident, "
                            + $"stopped in {run.ShutdownSeconds:F2} s");
                        scale.Add(run);
                    }
                }
                await herald.StopAsync(StopTimeout);
            }
            var client = "librdkafka 2.0.2 producers (P/Invoke, rd_kafka_produce_batch) and python3-confluent-kafka consumers; "
                + $"linger.ms={KafkaSettings.LingerMs}, batch.size={KafkaSettings.BatchBytes}, compression none";
            var goals = KafkaReport.Goals(loopback, disk, produce, latency, scale);
            return new KafkaResults(started, machine, MachineInfo.ReadLoadAverage(), settings, client, loopback, disk,
                produce, consume, latency, scaleSetup, scale, goals);
        }

        private static string TopicName(int round, string caseId) => $"r{round}-{caseId}";

        /// <summary>
        /// One unrecorded run of every produce case, so the broker's JIT has reached its optimized tier (a profile of
        /// a cold herald spends a third of its CPU compiling), the thread pool and the page cache have settled, and
        /// each case's record count can be sized from a rate measured on this machine.
        /// </summary>
        private async Task WarmUpAsync(HeraldProcess herald, IReadOnlyList<ProduceCase> cases, CancellationToken cancellationToken)
        {
            var topics = cases.Select(c => new TopicSpec(TopicName(0, c.Id), c.Producers)).ToList();
            await CreateTopicsAsync(herald, topics, cancellationToken);
            foreach (var produceCase in cases)
            {
                var run = await ProduceAsync(herald, produceCase, TopicName(0, produceCase.Id), 0, cancellationToken,
                    seconds: settings.WarmUpSeconds);
                Progress($"warm-up {produceCase.Label}: {run.RecordsPerSecond:N0} records/s");
            }
            await DeleteTopicsAsync(herald, topics.Select(t => t.Name), cancellationToken);
        }

        private async Task<ThroughputRun> ProduceAsync(HeraldProcess herald, ProduceCase produceCase, string topic, int round,
            CancellationToken cancellationToken, double? seconds = null)
        {
            // A first guess for the warm-up (a slow machine then runs longer, not forever); measured rates after it.
            var rate = _rates.GetValueOrDefault(produceCase.Id, produceCase.RecordSize < 1024 ? 200_000 : 50_000);
            var perProducer = (long)Math.Clamp(rate * (seconds ?? settings.CaseSeconds) / produceCase.Producers, 1000,
                Math.Max(1000, settings.CaseBytes / produceCase.RecordSize / produceCase.Producers));
            var producerSettings = new Dictionary<string, string>
            {
                ["acks"] = produceCase.Acks,
                ["linger.ms"] = KafkaSettings.LingerMs.ToString(CultureInfo.InvariantCulture),
                ["batch.size"] = KafkaSettings.BatchBytes.ToString(CultureInfo.InvariantCulture),
                ["compression.codec"] = "none",
                ["queue.buffering.max.messages"] = "2000000",
                ["queue.buffering.max.kbytes"] = "2097151",
            };
            var serverBefore = ProcessStats.CpuSeconds(herald.ProcessId);
            var result = await Task.Run(() => RdKafkaProducer.Run(herald.Bootstrap, topic, produceCase.Producers, perProducer,
                produceCase.RecordSize, producerSettings), cancellationToken);
            var serverCpu = ProcessStats.CpuSeconds(herald.ProcessId) - serverBefore;
            var run = new ThroughputRun(produceCase.Id, round, result.Delivered, result.Delivered * produceCase.RecordSize,
                result.Seconds, result.ClientCpuSeconds, serverCpu, result.Errors);
            if (run.Failures.Count > 0 || result.Delivered != perProducer * produceCase.Producers)
            {
                Progress($"{produceCase.Id}: {result.Delivered} of {perProducer * produceCase.Producers} records stored; "
                    + string.Join(" | ", run.Failures));
            }
            _rates[produceCase.Id] = run.RecordsPerSecond;
            return run;
        }

        private async Task<ThroughputRun> ConsumeAsync(HeraldProcess herald, string id, string topic, long records, int round,
            CancellationToken cancellationToken)
        {
            var report = await LoadScript.RunAsync("consume", new Dictionary<string, object>
            {
                ["bootstrap"] = herald.Bootstrap,
                ["topic"] = topic,
                ["partitions"] = 4,
                ["records"] = records,
                ["seconds"] = Math.Max(30, settings.CaseSeconds * 10),
                ["server-pid"] = herald.ProcessId,
            }, TimeSpan.FromMinutes(5), cancellationToken);
            var received = report.GetProperty("records").GetInt64();
            var failures = received == records ? Array.Empty<string>() : [$"received {received} of {records} records"];
            return new ThroughputRun(id, round, received, report.GetProperty("bytes").GetInt64(),
                report.GetProperty("seconds").GetDouble(), report.GetProperty("clientCpuSeconds").GetDouble(),
                report.GetProperty("serverCpuSeconds").GetDouble(), failures);
        }

        private async Task<LatencyRun> LatencyAsync(HeraldProcess herald, string topic, int round, CancellationToken cancellationToken)
        {
            var report = await LoadScript.RunAsync("latency", new Dictionary<string, object>
            {
                ["bootstrap"] = herald.Bootstrap,
                ["topic"] = topic,
                ["rate"] = KafkaSettings.LatencyRecordsPerSecond,
                ["size"] = KafkaSettings.LatencyRecordSize,
                ["seconds"] = settings.LatencySeconds,
                ["acks"] = "all",
                ["linger-ms"] = 0,
                ["server-pid"] = herald.ProcessId,
            }, TimeSpan.FromMinutes(3), cancellationToken);
            double Ms(string name) => report.GetProperty(name).ValueKind == JsonValueKind.Number ? report.GetProperty(name).GetDouble() : double.NaN;
            return new LatencyRun(round, report.GetProperty("records").GetInt64(), report.GetProperty("samples").GetInt64(),
                Ms("p50Ms"), Ms("p99Ms"), Ms("p999Ms"), Ms("maxMs"), report.GetProperty("clientCpuSeconds").GetDouble(),
                report.GetProperty("serverCpuSeconds").GetDouble(), report.GetProperty("consumerReadySeconds").GetDouble());
        }

        /// <summary>A node with 1,000 topics × 10 partitions, created through the admin API and then stopped cleanly.</summary>
        private async Task<ScaleSetup> CreateScaleDataAsync(string directory, CancellationToken cancellationToken)
        {
            using var herald = await HeraldProcess.StartAsync(directory, settings.Fsync);
            Progress($"creating {KafkaSettings.ScaleTopics} topics × {KafkaSettings.ScalePartitions} partitions");
            var report = await LoadScript.RunAsync("topics", new Dictionary<string, object>
            {
                ["bootstrap"] = herald.Bootstrap,
                ["count"] = KafkaSettings.ScaleTopics,
                ["partitions"] = KafkaSettings.ScalePartitions,
            }, TimeSpan.FromMinutes(10), cancellationToken);
            var created = report.GetProperty("seconds").GetDouble();
            var shutdown = await herald.StopAsync(StopTimeout);
            Progress($"created in {created:F1} s; clean shutdown took {shutdown:F1} s");
            return new ScaleSetup(KafkaSettings.ScaleTopics, KafkaSettings.ScalePartitions, created, shutdown);
        }

        private async Task<ScaleRun> RestartScaleNodeAsync(string directory, int round)
        {
            using var herald = await HeraldProcess.StartAsync(directory, settings.Fsync);
            var resident = herald.ResidentBytes();
            var shutdown = await herald.StopAsync(StopTimeout);
            return new ScaleRun(round, herald.StartupSeconds, resident, shutdown);
        }

        private static async Task CreateTopicsAsync(HeraldProcess herald, IReadOnlyList<TopicSpec> topics, CancellationToken cancellationToken) =>
            await Task.WhenAll(topics.GroupBy(t => t.Partitions).Select(group => LoadScript.RunAsync("topics", new Dictionary<string, object>
            {
                ["bootstrap"] = herald.Bootstrap,
                ["names"] = group.Select(t => t.Name).ToArray(),
                ["partitions"] = group.Key,
            }, TimeSpan.FromMinutes(2), cancellationToken)));

        private static async Task DeleteTopicsAsync(HeraldProcess herald, IEnumerable<string> names, CancellationToken cancellationToken) =>
            await LoadScript.RunAsync("topics", new Dictionary<string, object>
            {
                ["bootstrap"] = herald.Bootstrap,
                ["names"] = names.ToArray(),
                ["delete"] = true,
            }, TimeSpan.FromMinutes(2), cancellationToken);
    }

    private sealed record TopicSpec(string Name, int Partitions);
}
