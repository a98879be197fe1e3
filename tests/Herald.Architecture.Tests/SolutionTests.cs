using System.Xml.Linq;

namespace Herald.Architecture.Tests;

/// <summary>Herald.slnx is what the build and ./run-tests walk, so a project missing from it is silently skipped.</summary>
public sealed class SolutionTests
{
    [Fact]
    public void Every_project_under_src_is_listed_in_the_solution()
    {
        var listed = XDocument.Load(RepositoryLayout.Solution).Descendants("Project")
            .Select(p => Path.GetFullPath(Path.Combine(RepositoryLayout.Root, (string)p.Attribute("Path")!)))
            .ToHashSet(StringComparer.Ordinal);
        var projects = ProjectGraph.FindProjectFiles(RepositoryLayout.Source).Select(Path.GetFullPath).ToList();

        Assert.NotEmpty(projects);
        Assert.All(projects, project => Assert.True(listed.Contains(project), $"{Path.GetRelativePath(RepositoryLayout.Root, project)} is not in {RepositoryLayout.SolutionFileName}"));
    }
}
