namespace Herald.Bench.Common;

/// <summary>One of the goals, the case it was judged on, what was measured and whether it was met.</summary>
internal sealed record GoalResult(string Goal, string Case, string Measured, bool Met);
