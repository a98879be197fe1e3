using System.Globalization;
using System.Text;
using Herald.Bench.Common;

namespace Herald.Bench.Amqp;

/// <summary>
/// The markdown summary of an <c>amqp</c> run: medians per case and broker, Herald's ratios to RabbitMQ, where the CPU
/// went, memory, and issue 5's goals judged on Herald with its default fsync policy (<c>always</c>).
/// </summary>
internal static class AmqpReport
{
    private const string Reference = AmqpBenchmark.Reference;

    public static string ToMarkdown(AmqpResults results)
    {
        var heralds = results.Runs.Select(r => r.Broker).Concat(results.Memory.Select(m => m.Broker))
            .Where(b => b != Reference).Distinct().Order(StringComparer.Ordinal).ToList();
        var medians = results.Runs.GroupBy(r => (r.Case, r.Broker)).ToDictionary(g => g.Key, g => new Median(g.ToList()));
        var cases = results.Runs.Select(r => r.Case).Distinct().ToList();
        var text = new StringBuilder();
        var settings = results.Settings;
        text.AppendLine(CultureInfo.InvariantCulture, $"## AMQP: Herald vs RabbitMQ (RabbitMQ.Client 7.1.2, {settings.Rounds} round(s), medians)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {results.Machine}. Load average at the start: {results.Machine.LoadAverage}; at the end: {results.LoadAverageAtEnd}.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Persistent messages to one durable queue shared by all clients; publishers with confirms, at most {results.ConfirmWindow} unconfirmed each; "
            + $"consumers with manual acks (one per message), prefetch {results.Prefetch}; publish cases stop after {settings.CaseSeconds:0.#} s "
            + $"or {settings.CaseBytes >> 20} MiB, consume cases drain what their publish case queued; latency at {AmqpSettings.LatencyMessagesPerSecond:N0} msg/s "
            + $"for {settings.LatencySeconds:0.#} s. × is Herald / RabbitMQ (msg/s: higher is better; CPU and latency: lower is better).");
        text.AppendLine();

        var throughputHeaders = new List<string> { "case", ">rabbitmq msg/s" };
        heralds.ForEach(h => throughputHeaders.AddRange([$">{h} msg/s", ">×"]));
        throughputHeaders.Add(">rabbitmq µs CPU/msg");
        heralds.ForEach(h => throughputHeaders.AddRange([$">{h} µs", ">×"]));
        var throughput = new MarkdownTable([.. throughputHeaders]);
        foreach (var caseId in cases.Where(c => !c.StartsWith("latency", StringComparison.Ordinal)))
        {
            var reference = Get(medians, caseId, Reference);
            var cells = new List<string> { caseId, Format.Number(reference.PerSecond) };
            foreach (var herald in heralds)
            {
                var median = Get(medians, caseId, herald);
                cells.AddRange([median.Failed ? "error" : Format.Number(median.PerSecond), Ratio(median.PerSecond, reference.PerSecond)]);
            }
            cells.Add(Format.Fixed2(reference.ServerMicros));
            foreach (var herald in heralds)
            {
                var median = Get(medians, caseId, herald);
                cells.AddRange([Format.Fixed2(median.ServerMicros), Ratio(median.ServerMicros, reference.ServerMicros)]);
            }
            throughput.Add([.. cells]);
        }
        text.Append(throughput);

        var latencyCases = cases.Where(c => c.StartsWith("latency", StringComparison.Ordinal)).ToList();
        if (latencyCases.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"End-to-end latency (publish to delivery, ms) at {AmqpSettings.LatencyMessagesPerSecond:N0} msg/s; *reached* is the rate the publishers achieved:");
            text.AppendLine();
            var headers = new List<string> { "case", ">rabbitmq reached/s", ">p50", ">p99", ">p99.9", ">µs CPU/msg" };
            heralds.ForEach(h => headers.AddRange([$">{h} reached/s", ">p50", ">p99", ">× p99", ">p99.9", ">µs CPU/msg", ">×"]));
            var latency = new MarkdownTable([.. headers]);
            foreach (var caseId in latencyCases)
            {
                var reference = Get(medians, caseId, Reference);
                var cells = new List<string>
                {
                    caseId, Format.Number(reference.Achieved), Format.Ms(reference.P50), Format.Ms(reference.P99), Format.Ms(reference.P999),
                    Format.Fixed2(reference.ServerMicros),
                };
                foreach (var herald in heralds)
                {
                    var median = Get(medians, caseId, herald);
                    cells.AddRange([median.Failed ? "error" : Format.Number(median.Achieved), Format.Ms(median.P50), Format.Ms(median.P99),
                        Ratio(median.P99, reference.P99), Format.Ms(median.P999), Format.Fixed2(median.ServerMicros),
                        Ratio(median.ServerMicros, reference.ServerMicros)]);
                }
                latency.Add([.. cells]);
            }
            text.Append(latency);
        }

        text.AppendLine();
        text.AppendLine("Where the CPU went: *server* is the broker process (user+system from /proc), *client* is this benchmark process "
            + "(all publishers and consumers); cores = CPU seconds / wall seconds. Client cores near the machine's core count mean the client set the pace.");
        text.AppendLine();
        var cpu = new MarkdownTable("case", "broker", ">msg/s", ">server µs/msg", ">server cores", ">client µs/msg", ">client cores");
        foreach (var caseId in cases)
        {
            foreach (var broker in new[] { Reference }.Concat(heralds))
            {
                if (medians.TryGetValue((caseId, broker), out var median))
                {
                    cpu.Add(caseId, broker, Format.Number(median.PerSecond), Format.Fixed2(median.ServerMicros), Format.Fixed2(median.ServerCores),
                        Format.Fixed2(median.ClientMicros), Format.Fixed2(median.ClientCores));
                }
            }
        }
        text.Append(cpu);

        if (results.Memory.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Memory: {settings.MemoryMessages:N0} persistent {AmqpSettings.MemoryMessageSize} B messages published with confirms by {AmqpSettings.MemoryPublishers} publishers into one durable queue with no consumer; resident memory (VmRSS) 2 s after the last confirm, and its anonymous part (RssAnon: heap, not mapped files):");
            text.AppendLine();
            var memory = new MarkdownTable("broker", ">messages queued", ">publish msg/s", ">server µs/msg", ">RSS before (MB)", ">RSS after (MB)", ">of it anonymous (MB)");
            foreach (var run in results.Memory)
            {
                memory.Add(run.Broker, run.Messages.ToString("N0", CultureInfo.InvariantCulture), Format.Number(run.PublishPerSecond),
                    Format.Fixed2(run.ServerMicrosPerMessage), Megabytes(run.ResidentBytesBefore), run.Error is null ? Megabytes(run.ResidentBytesAfter) : "error",
                    Megabytes(run.AnonymousResidentBytesAfter));
            }
            text.Append(memory);
        }

        var errors = results.Runs.Where(r => r.Error is not null).Select(r => $"- {r.Case} on {r.Broker} (round {r.Round}): {r.Error}")
            .Concat(results.Memory.Where(r => r.Error is not null).Select(r => $"- memory on {r.Broker}: {r.Error}")).ToList();
        if (errors.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Errors:");
            errors.ForEach(line => text.AppendLine(line));
        }

        var judged = heralds.Contains("herald-always") ? "herald-always" : heralds.FirstOrDefault();
        if (judged is not null)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Goals of issue 5, judged on {judged} (the worst row of each goal):");
            text.AppendLine();
            var goals = new MarkdownTable("goal", "case", "measured", "met");
            foreach (var goal in Goals(results, medians, cases, judged))
            {
                goals.Add(goal.Goal, goal.Case, goal.Measured, goal.Met ? "met" : "missed");
            }
            text.Append(goals);
        }
        return text.ToString();
    }

    private static IEnumerable<GoalResult> Goals(AmqpResults results, Dictionary<(string, string), Median> medians, List<string> cases,
        string herald)
    {
        IEnumerable<(string Case, double Ratio)> Ratios(string prefix, Func<Median, double> figure) =>
            cases.Where(c => c.StartsWith(prefix, StringComparison.Ordinal))
                .Select(c => (c, figure(Get(medians, c, herald)) / figure(Get(medians, c, Reference))));

        GoalResult? Worst(string goal, IEnumerable<(string Case, double Ratio)> ratios, bool higherIsBetter, double limit)
        {
            var list = ratios.ToList();
            if (list.Count == 0)
            {
                return null;
            }
            // A failed case (NaN) is the worst there is.
            var worst = list.FirstOrDefault(r => double.IsNaN(r.Ratio));
            if (worst.Case is null)
            {
                worst = higherIsBetter ? list.MinBy(r => r.Ratio) : list.MaxBy(r => r.Ratio);
            }
            var met = !double.IsNaN(worst.Ratio) && (higherIsBetter ? worst.Ratio >= limit : worst.Ratio <= limit);
            return new GoalResult(goal, worst.Case, double.IsNaN(worst.Ratio) ? "failed" : $"{worst.Ratio:F2}×", met);
        }

        var throughput = Ratios("publish", m => m.PerSecond).Concat(Ratios("consume", m => m.PerSecond));
        var cpu = Ratios("publish", m => m.ServerMicros).Concat(Ratios("consume", m => m.ServerMicros)).Concat(Ratios("latency", m => m.ServerMicros));
        GoalResult?[] goals =
        [
            Worst("throughput ≥ 2× RabbitMQ on every row", throughput, higherIsBetter: true, 2),
            Worst("durable queue with confirms ≥ 5× RabbitMQ", Ratios("publish", m => m.PerSecond), higherIsBetter: true, 5),
            Worst("server CPU per message ≤ 0.2× RabbitMQ", cpu, higherIsBetter: false, 0.2),
            Worst("p99 latency ≤ 0.5× RabbitMQ", Ratios("latency", m => m.P99), higherIsBetter: false, 0.5),
        ];
        foreach (var goal in goals.OfType<GoalResult>())
        {
            yield return goal;
        }
        if (results.Memory.FirstOrDefault(m => m.Broker == herald) is { } memory)
        {
            var rabbit = results.Memory.FirstOrDefault(m => m.Broker == Reference);
            yield return new GoalResult($"resident memory ≤ {AmqpSettings.MemoryGoalBytes / 1_000_000} MB with {results.Settings.MemoryMessages:N0} × 1 KiB queued",
                AmqpBenchmark.MemoryCase,
                memory.Error is null ? $"{Megabytes(memory.ResidentBytesAfter)} MB (RabbitMQ {(rabbit is null ? "—" : Megabytes(rabbit.ResidentBytesAfter))} MB)" : "failed",
                memory.Error is null && memory.ResidentBytesAfter <= AmqpSettings.MemoryGoalBytes);
        }
    }

    private static Median Get(Dictionary<(string, string), Median> medians, string caseId, string broker) =>
        medians.TryGetValue((caseId, broker), out var median) ? median : Median.None;

    private static string Ratio(double value, double reference) =>
        double.IsNaN(value) || double.IsNaN(reference) || reference == 0 ? "—" : (value / reference).ToString("F2", CultureInfo.InvariantCulture);

    private static string Megabytes(long bytes) => bytes < 0 ? "—" : (bytes / 1_000_000).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Medians over the rounds of one case on one broker; NaN where no round succeeded.</summary>
    private sealed class Median
    {
        public static readonly Median None = new([]);

        public Median(List<AmqpCaseRun> runs)
        {
            var ok = runs.Where(r => r.Error is null && r.Load is not null).ToList();
            Failed = ok.Count == 0;
            PerSecond = Statistics.Median(ok.Select(r => r.Load!.PerSecond));
            ServerMicros = Statistics.Median(ok.Select(r => r.Load!.ServerMicrosPerMessage));
            ClientMicros = Statistics.Median(ok.Select(r => r.Load!.ClientMicrosPerMessage));
            ServerCores = Statistics.Median(ok.Select(r => r.Load!.ServerCpuSeconds / r.Load.WallSeconds));
            ClientCores = Statistics.Median(ok.Select(r => r.Load!.ClientCpuSeconds / r.Load.WallSeconds));
            var latencies = ok.Where(r => r.Latency is not null).Select(r => r.Latency!).ToList();
            Achieved = Statistics.Median(latencies.Select(l => l.AchievedPerSecond));
            P50 = Statistics.Median(latencies.Select(l => l.P50Ms));
            P99 = Statistics.Median(latencies.Select(l => l.P99Ms));
            P999 = Statistics.Median(latencies.Select(l => l.P999Ms));
        }

        public bool Failed { get; }

        public double PerSecond { get; }

        public double ServerMicros { get; }

        public double ClientMicros { get; }

        public double ServerCores { get; }

        public double ClientCores { get; }

        public double Achieved { get; }

        public double P50 { get; }

        public double P99 { get; }

        public double P999 { get; }
    }
}
