namespace Herald.Bench.Cli;

/// <summary>Process exit codes, so scripts can tell a bad command line from an interrupted run.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 2;

    /// <summary>128 + SIGINT, what a shell reports for a process stopped with Ctrl+C.</summary>
    public const int Cancelled = 130;
}
