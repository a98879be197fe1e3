using System.Xml.Linq;

namespace Herald.Architecture.Tests;

/// <summary>
/// The Herald projects and what each one references, read from the <c>.csproj</c> files: other projects by name
/// (the file name without extension), plus <see cref="AspNetCore"/> for the Web SDK, a FrameworkReference to
/// Microsoft.AspNetCore.App, or a Microsoft.AspNetCore.* package. Rules are checked against the transitive
/// closure, since a project that reaches the broker through a codec has still pulled it in.
/// </summary>
internal sealed class ProjectGraph
{
    /// <summary>Stands for ASP.NET Core wherever a rule names it, as if it were a project.</summary>
    public const string AspNetCore = "ASP.NET Core";

    private readonly Dictionary<string, IReadOnlySet<string>> _references;

    private ProjectGraph(Dictionary<string, IReadOnlySet<string>> references) => _references = references;

    public IEnumerable<string> Projects => _references.Keys.Order(StringComparer.Ordinal);

    /// <summary>Every <c>.csproj</c> under <paramref name="directory"/>, skipping build output.</summary>
    public static ProjectGraph Load(string directory) =>
        new(FindProjectFiles(directory).ToDictionary(
            path => Path.GetFileNameWithoutExtension(path),
            path => ReadReferences(XDocument.Load(path)),
            StringComparer.Ordinal));

    /// <summary>A graph given directly, for testing the rules themselves.</summary>
    public static ProjectGraph FromReferences(IReadOnlyDictionary<string, string[]> references) =>
        new(references.ToDictionary(p => p.Key, p => (IReadOnlySet<string>)p.Value.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal));

    public static IEnumerable<string> FindProjectFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.csproj", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    /// <summary>The direct references declared in one project file.</summary>
    public static IReadOnlySet<string> ReadReferences(XDocument project)
    {
        var references = new HashSet<string>(StringComparer.Ordinal);
        var root = project.Root!;
        if (((string?)root.Attribute("Sdk"))?.Contains("Microsoft.NET.Sdk.Web", StringComparison.OrdinalIgnoreCase) == true)
        {
            references.Add(AspNetCore);
        }

        foreach (var element in root.Descendants())
        {
            var include = (string?)element.Attribute("Include");
            switch (element.Name.LocalName)
            {
                case "ProjectReference" when include is not null:
                    references.Add(Path.GetFileNameWithoutExtension(include.Replace('\\', '/')));
                    break;
                case "FrameworkReference" when include == "Microsoft.AspNetCore.App":
                case "PackageReference" when include?.StartsWith("Microsoft.AspNetCore.", StringComparison.OrdinalIgnoreCase) == true:
                    references.Add(AspNetCore);
                    break;
            }
        }

        return references;
    }

    public IReadOnlySet<string> DirectReferences(string project) =>
        _references.TryGetValue(project, out var references) ? references : new HashSet<string>();

    /// <summary>
    /// Everything <paramref name="project"/> reaches, each with the chain of references that reaches it
    /// (<c>Herald.Client -&gt; Herald.Protocols.Kafka -&gt; Herald.Broker</c>), for messages that show the culprit.
    /// </summary>
    public IReadOnlyDictionary<string, string> TransitiveReferences(string project)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<(string Project, string Path)>([(project, project)]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var reference in DirectReferences(current.Project))
            {
                var path = $"{current.Path} -> {reference}";
                if (reference != project && paths.TryAdd(reference, path))
                {
                    queue.Enqueue((reference, path));
                }
            }
        }

        return paths;
    }
}
