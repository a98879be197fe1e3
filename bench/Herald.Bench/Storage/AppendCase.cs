using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>What a case's append figure is held against.</summary>
internal enum AppendGoal
{
    /// <summary>Reported for information only.</summary>
    None,

    /// <summary>os and interval: at least 90% of dd's buffered sequential write.</summary>
    NinetyPercentOfSequential,

    /// <summary>always with concurrent writers: group commit brings at least 50% of dd's sequential write.</summary>
    HalfOfSequential,
}

/// <summary>
/// One append configuration: record size, fsync policy and number of concurrent writers. Segments are larger than
/// a case writes unless <see cref="SegmentBytes"/> says otherwise, so segment rolls are measured by their own case.
/// </summary>
internal sealed record AppendCase(string Id, int RecordSize, FsyncPolicy Policy, int Writers, AppendGoal Goal,
    long SegmentBytes = int.MaxValue)
{
    public string Label
    {
        get
        {
            var size = RecordSize >= 1024 ? $"{RecordSize / 1024} KiB" : $"{RecordSize} B";
            var policy = Policy.ToString().ToLowerInvariant();
            var roll = SegmentBytes < int.MaxValue ? $", {SegmentBytes >> 20} MiB segments" : "";
            return $"{policy} ×{Writers}, {size}{roll}";
        }
    }

    /// <summary>The cases of a run, in the order every round runs them (interleaved, so drift hits all alike).</summary>
    public static IReadOnlyList<AppendCase> All(StorageSettings settings)
    {
        var cases = new List<AppendCase>();
        foreach (var size in StorageSettings.RecordSizes)
        {
            var tag = size >= 1024 ? "1k" : "100b";
            cases.Add(new AppendCase($"always-1w-{tag}", size, FsyncPolicy.Always, 1, AppendGoal.None));
            cases.Add(new AppendCase($"always-{StorageSettings.ConcurrentWriters}w-{tag}", size, FsyncPolicy.Always,
                StorageSettings.ConcurrentWriters, AppendGoal.HalfOfSequential));
            cases.Add(new AppendCase($"interval-1w-{tag}", size, FsyncPolicy.Interval, 1,
                AppendGoal.NinetyPercentOfSequential));
            cases.Add(new AppendCase($"os-1w-{tag}", size, FsyncPolicy.Os, 1, AppendGoal.NinetyPercentOfSequential));
        }
        cases.Add(new AppendCase("os-1w-1k-roll", 1024, FsyncPolicy.Os, 1, AppendGoal.None, settings.RollSegmentBytes));
        return cases;
    }
}
