namespace Herald.Architecture.Tests;

internal enum RuleKind
{
    /// <summary>The subject may reference the listed projects and nothing else.</summary>
    MayReferenceOnly,

    /// <summary>The subject must not reference any listed project.</summary>
    MustNotReference,
}

/// <summary>
/// One dependency rule. <see cref="Subject"/> and <see cref="Targets"/> are project names in which a trailing
/// <c>*</c> matches any suffix (<c>Herald.Frontends.*</c>); <see cref="ProjectGraph.AspNetCore"/> names the framework.
/// </summary>
internal sealed record ReferenceRule(string Subject, RuleKind Kind, string[] Targets, string Rule)
{
    public static bool Matches(string pattern, string project) =>
        pattern.EndsWith('*')
            ? project.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : project == pattern;

    /// <summary>One message per offending reference, each with the chain of references that makes it.</summary>
    public IEnumerable<string> Violations(ProjectGraph graph) =>
        from project in graph.Projects
        where Matches(Subject, project)
        from reference in graph.TransitiveReferences(project)
        let listed = Targets.Any(target => Matches(target, reference.Key))
        where Kind == RuleKind.MayReferenceOnly ? !listed : listed
        select $"{reference.Value} breaks \"{Rule}\"";

    public override string ToString() => Rule;
}

/// <summary>
/// STYLE.md's dependency rules as a table (Kafka's import-control, as data). Each row reads as the sentence it
/// enforces; a subject with no project yet is checked as soon as the project appears.
/// </summary>
internal static class LayerRules
{
    private const string AspNetCore = ProjectGraph.AspNetCore;

    public static IReadOnlyList<ReferenceRule> All { get; } =
    [
        new("Herald.Primitives", RuleKind.MayReferenceOnly, [],
            "Primitives depends on nothing."),
        new("Herald.Storage", RuleKind.MayReferenceOnly, ["Herald.Primitives"],
            "Storage depends only on Primitives."),
        new("Herald.Broker", RuleKind.MustNotReference, ["Herald.Protocols.*", "Herald.Frontends.*", "Herald.Management", AspNetCore],
            "Broker does not reference Protocols.*, Frontends.*, Management or ASP.NET Core."),
        new("Herald.Protocols.*", RuleKind.MustNotReference, ["Herald.Broker", "Herald.Storage"],
            "Protocols.* do not reference Broker or Storage."),
        new("Herald.Frontends.*", RuleKind.MustNotReference, ["Herald.Frontends.*"],
            "Frontends.* never reference another front end."),
        new("Herald.Client", RuleKind.MustNotReference, ["Herald.Broker", "Herald.Storage", "Herald.Frontends.*", "Herald.Server"],
            "Client never references Broker, Storage, Frontends.* or Server."),
        new("Herald.Cli", RuleKind.MustNotReference, ["Herald.Broker", "Herald.Storage", "Herald.Frontends.*", "Herald.Server"],
            "Cli never references Broker, Storage, Frontends.* or Server."),
        new("Herald.*", RuleKind.MustNotReference, ["Herald.Server"],
            "Server is the composition root: no project under src references it."),
    ];
}
