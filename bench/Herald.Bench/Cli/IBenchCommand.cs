namespace Herald.Bench.Cli;

/// <summary>
/// One benchmark, run as <c>herald-bench &lt;Name&gt; [options]</c>. Implementations need a parameterless
/// constructor; <see cref="Program"/> finds them by reflection. Results go to stdout as markdown (progress to
/// stderr, so stdout can be redirected into a report) and to a JSON file under <c>artifacts/bench</c>.
/// </summary>
internal interface IBenchCommand
{
    string Name { get; }

    string Summary { get; }

    string Usage { get; }

    /// <summary>Runs the benchmark; returns the process exit code. Throws <see cref="UsageException"/> on bad options.</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken);
}
