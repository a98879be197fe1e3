namespace Herald.Bench.Common;

/// <summary>
/// Finds the repository root (the directory holding Herald.slnx) so that the default data directory and the
/// results land in <c>artifacts/bench</c> whether the benchmark is started from the root, from bench/, or from
/// its build output.
/// </summary>
internal static class RepositoryPaths
{
    private const string SolutionFile = "Herald.slnx";

    public static string Root { get; } = FindRoot();

    public static string ArtifactsBench => Path.Combine(Root, "artifacts", "bench");

    /// <summary>
    /// Creates the temporary directory of one run, <c>&lt;command&gt;-&lt;utc&gt;-&lt;pid&gt;</c> inside
    /// <paramref name="parent"/> (the <c>--dir</c> option) or <see cref="ArtifactsBench"/>; the caller deletes it.
    /// </summary>
    public static string CreateRunDirectory(string? parent, string command, DateTimeOffset started)
    {
        var root = Path.Combine(Path.GetFullPath(parent ?? ArtifactsBench),
            $"{command}-{started.UtcDateTime:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        return root;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }
        }
        return Environment.CurrentDirectory;
    }
}
