using System.Globalization;
using System.Text;
using Herald.Bench.Common;

namespace Herald.Bench.Resp;

/// <summary>The markdown summary of a <c>resp</c> run: medians per case and server, with Herald's ratios to redis-server.</summary>
internal static class RespReport
{
    private const string Reference = "redis-server";
    private static readonly string[] Heralds = ["herald-interval", "herald-always"];

    public static string ToMarkdown(RespResults results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## RESP: Herald vs redis-server ({results.Clients} clients, {results.RequestsPerRun} requests per run; group loop: {results.GroupEntries} entries)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {results.Machine}. Load average at the end: {results.LoadAverageAtEnd}.");
        text.AppendLine("Medians over rounds; × is Herald / redis-server (throughput: higher is better; CPU per command: lower is better).");
        text.AppendLine();
        var table = new MarkdownTable("case", ">redis-server /s", ">interval /s", ">×", ">always /s", ">×",
            ">redis µs CPU/cmd", ">interval µs", ">×", ">always µs", ">×");
        foreach (var caseId in results.Runs.Select(r => r.Case).Distinct())
        {
            var runs = results.Runs.Where(r => r.Case == caseId).ToList();
            var reference = Median(runs, Reference);
            var cells = new List<string> { caseId, Format(reference.PerSecond) };
            foreach (var herald in Heralds)
            {
                var median = Median(runs, herald);
                cells.Add(median.Error ?? Format(median.PerSecond));
                cells.Add(Ratio(median.PerSecond, reference.PerSecond));
            }
            cells.Add(reference.Cpu.ToString("F2", CultureInfo.InvariantCulture));
            foreach (var herald in Heralds)
            {
                var median = Median(runs, herald);
                cells.Add(double.IsNaN(median.Cpu) ? "-" : median.Cpu.ToString("F2", CultureInfo.InvariantCulture));
                cells.Add(Ratio(median.Cpu, reference.Cpu));
            }
            table.Add([.. cells]);
        }
        text.Append(table);
        var errors = results.Runs.Where(r => r.Error is not null).Select(r => $"- {r.Case} on {r.Server}: {r.Error}")
            .Concat(results.Memory.Where(r => r.Error is not null).Select(r => $"- memory on {r.Server}: {r.Error}"))
            .Distinct().ToList();
        if (errors.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Errors (a server that refused a command is not measured on it):");
            errors.ForEach(line => text.AppendLine(line));
        }
        if (results.Memory.Count > 0)
        {
            text.AppendLine();
            var memory = new MarkdownTable("server", ">entries", ">RSS before (MiB)", ">RSS after (MiB)");
            foreach (var run in results.Memory)
            {
                memory.Add(run.Server, run.Entries.ToString(CultureInfo.InvariantCulture), (run.ResidentBytesBefore >> 20).ToString(CultureInfo.InvariantCulture),
                    run.Error is null ? (run.ResidentBytesAfter >> 20).ToString(CultureInfo.InvariantCulture) : "error");
            }
            text.Append(memory);
        }
        return text.ToString();
    }

    private static (double PerSecond, double Cpu, string? Error) Median(List<RespRun> runs, string server)
    {
        var mine = runs.Where(r => r.Server == server).ToList();
        var error = mine.FirstOrDefault(r => r.Error is not null)?.Error;
        return (Statistics.Median(mine.Select(r => r.PerSecond)), Statistics.Median(mine.Select(r => r.CpuMicrosPerCommand)),
            error is null ? null : "error");
    }

    private static string Format(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ratio(double value, double reference) =>
        double.IsNaN(value) || double.IsNaN(reference) || reference == 0 ? "-" : (value / reference).ToString("F2", CultureInfo.InvariantCulture);
}
