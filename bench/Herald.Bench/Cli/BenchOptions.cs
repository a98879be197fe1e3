using System.Globalization;

namespace Herald.Bench.Cli;

/// <summary>
/// Options every benchmark understands. <c>--quick</c> is a smoke run: it shortens each case and runs one round,
/// but an explicit <c>--seconds</c> or <c>--rounds</c> still wins.
/// </summary>
internal sealed record BenchOptions
{
    public const string CommonUsage =
        """
        options:
          --dir <path>     parent of the temporary data directory (default: <repo>/artifacts/bench); the benchmark
                           creates a fresh directory inside it on the same filesystem and deletes it afterwards
          --seconds <n>    time limit of each measured case (default 5; 1 with --quick)
          --mib <n>        volume limit of each measured case in MiB (default 1024; 128 with --quick)
          --rounds <n>     interleaved rounds whose medians are reported (default 3; 1 with --quick)
          --out <file>     where to write the JSON results (default: <repo>/artifacts/bench/<command>-<utc>.json)
          --only <text>    run only the probes and cases whose id contains <text>; several texts separated by
                           commas (ids are in the JSON, e.g. always-8w-1k, os-1w-100b, dd-seq-1m, read)
          --quick          smoke run: small volumes, short cases, one round
        """;

    /// <summary>Parent directory for the benchmark's temporary directory, or null for the default.</summary>
    public string? Directory { get; init; }

    public double Seconds { get; init; } = 5;

    /// <summary>Volume limit of each case in MiB, or null for the benchmark's default.</summary>
    public long? CaseMiB { get; init; }

    public int Rounds { get; init; } = 3;

    public string? Output { get; init; }

    public bool Quick { get; init; }

    /// <summary>Substrings of the ids of the cases to run, for profiling a few cases; null runs everything.</summary>
    public IReadOnlyList<string>? Only { get; init; }

    public bool Includes(string caseId) =>
        Only is null || Only.Any(text => caseId.Contains(text, StringComparison.Ordinal));

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        string? directory = null, output = null;
        string[]? only = null;
        double? seconds = null;
        int? rounds = null;
        long? mib = null;
        var quick = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--dir":
                    directory = Value(args, ref i);
                    break;
                case "--seconds":
                    seconds = ParsePositive(args[i], Value(args, ref i));
                    break;
                case "--mib":
                    mib = (long)ParsePositive(args[i], Value(args, ref i));
                    break;
                case "--rounds":
                    rounds = (int)ParsePositive(args[i], Value(args, ref i));
                    break;
                case "--out":
                    output = Value(args, ref i);
                    break;
                case "--only":
                    only = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    throw new UsageException($"Unknown option '{args[i]}'.");
            }
        }
        return new BenchOptions
        {
            Directory = directory,
            Seconds = seconds ?? (quick ? 1 : 5),
            Rounds = rounds ?? (quick ? 1 : 3),
            CaseMiB = mib,
            Output = output,
            Quick = quick,
            Only = only,
        };
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"Option '{args[i]}' needs a value.");
        }
        return args[++i];
    }

    private static double ParsePositive(string option, string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new UsageException($"Option '{option}' needs a positive number, not '{text}'.");
        }
        return value;
    }
}
