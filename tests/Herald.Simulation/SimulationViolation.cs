namespace Herald.Simulation;

/// <summary>
/// A checker found the log disagreeing with the model. <see cref="Checker"/> names the property (reliability.md
/// §2.2: "lost", "unexpected", "inconsistent-offset", plus the log-specific ones such as "read-skip" or
/// "damaged"); the driver adds the seed, the operation index and the trace before failing the test.
/// </summary>
internal sealed class SimulationViolation(string checker, string message) : Exception($"[{checker}] {message}")
{
    public string Checker { get; } = checker;
}
