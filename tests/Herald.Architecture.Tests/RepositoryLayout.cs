namespace Herald.Architecture.Tests;

/// <summary>Finds the repository from the test's output directory: the nearest ancestor holding Herald.slnx.</summary>
internal static class RepositoryLayout
{
    public const string SolutionFileName = "Herald.slnx";

    public static string Root { get; } = FindRoot();

    public static string Source => Path.Combine(Root, "src");

    public static string Solution => Path.Combine(Root, SolutionFileName);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFileName} above {AppContext.BaseDirectory}.");
    }
}
