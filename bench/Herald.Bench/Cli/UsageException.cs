namespace Herald.Bench.Cli;

/// <summary>A command line the benchmark cannot run with; the message says what is wrong.</summary>
internal sealed class UsageException(string message) : Exception(message);
