using System.Diagnostics;

namespace Herald.Bench.Common;

/// <summary>
/// The commit the benchmarked code was built from, marked "+modified" when src/ has uncommitted changes, so a
/// result file says which engine it measured. Read-only git commands; "unknown" outside a git checkout.
/// </summary>
internal static class SourceVersion
{
    public static string Describe()
    {
        var commit = Git("rev-parse", "--short=12", "HEAD");
        if (string.IsNullOrEmpty(commit))
        {
            return "unknown";
        }
        var changes = Git("status", "--porcelain", "--", "src");
        return string.IsNullOrEmpty(changes) ? commit : commit + "+modified";
    }

    private static string? Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed
        }
    }
}
