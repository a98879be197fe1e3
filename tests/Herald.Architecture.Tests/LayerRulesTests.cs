namespace Herald.Architecture.Tests;

/// <summary>
/// The rules hold for the projects under src/, and each rule does catch the reference it forbids (checked on
/// made-up graphs, so a rule that could never fail would show here).
/// </summary>
public sealed class LayerRulesTests
{
    private static readonly ProjectGraph Source = ProjectGraph.Load(RepositoryLayout.Source);

    public static TheoryData<string> Rules => [.. LayerRules.All.Select(r => r.Rule)];

    [Theory]
    [MemberData(nameof(Rules))]
    public void Projects_under_src_follow_the_rule(string rule)
    {
        var violations = LayerRules.All.Single(r => r.Rule == rule).Violations(Source).ToList();

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Theory]
    [InlineData("Herald.Primitives", "Herald.Storage", "Primitives depends on nothing.")]
    [InlineData("Herald.Primitives", ProjectGraph.AspNetCore, "Primitives depends on nothing.")]
    [InlineData("Herald.Storage", "Herald.Broker", "Storage depends only on Primitives.")]
    [InlineData("Herald.Broker", "Herald.Protocols.Kafka", "Broker does not reference")]
    [InlineData("Herald.Broker", "Herald.Frontends.Amqp", "Broker does not reference")]
    [InlineData("Herald.Broker", "Herald.Management", "Broker does not reference")]
    [InlineData("Herald.Broker", ProjectGraph.AspNetCore, "Broker does not reference")]
    [InlineData("Herald.Protocols.Resp", "Herald.Broker", "Protocols.* do not reference")]
    [InlineData("Herald.Protocols.Amqp", "Herald.Storage", "Protocols.* do not reference")]
    [InlineData("Herald.Frontends.Amqp", "Herald.Frontends.Kafka", "Frontends.* never reference another front end.")]
    [InlineData("Herald.Client", "Herald.Broker", "Client never references")]
    [InlineData("Herald.Client", "Herald.Frontends.Resp", "Client never references")]
    [InlineData("Herald.Cli", "Herald.Server", "Cli never references")]
    [InlineData("Herald.Cli", "Herald.Storage", "Cli never references")]
    [InlineData("Herald.Management", "Herald.Server", "Server is the composition root")]
    public void A_forbidden_reference_breaks_its_rule(string project, string reference, string rule)
    {
        var graph = ProjectGraph.FromReferences(new Dictionary<string, string[]> { [project] = [reference], [reference] = [] });

        var violations = LayerRules.All.SelectMany(r => r.Violations(graph)).ToList();

        Assert.Contains(violations, v => v.StartsWith($"{project} -> {reference} breaks", StringComparison.Ordinal) && v.Contains(rule, StringComparison.Ordinal));
    }

    [Fact]
    public void A_forbidden_reference_through_another_project_is_reported_with_its_path()
    {
        var graph = ProjectGraph.FromReferences(new Dictionary<string, string[]>
        {
            ["Herald.Client"] = ["Herald.Protocols.Kafka"],
            ["Herald.Protocols.Kafka"] = ["Herald.Broker"],
            ["Herald.Broker"] = ["Herald.Storage"],
            ["Herald.Storage"] = ["Herald.Primitives"],
            ["Herald.Primitives"] = [],
        });

        var violations = LayerRules.All.SelectMany(r => r.Violations(graph)).ToList();

        Assert.Contains("Herald.Client -> Herald.Protocols.Kafka -> Herald.Broker breaks \"Client never references Broker, Storage, Frontends.* or Server.\"", violations);
        Assert.Contains("Herald.Protocols.Kafka -> Herald.Broker -> Herald.Storage breaks \"Protocols.* do not reference Broker or Storage.\"", violations);
    }

    [Fact]
    public void The_intended_layering_breaks_no_rule()
    {
        var graph = ProjectGraph.FromReferences(new Dictionary<string, string[]>
        {
            ["Herald.Primitives"] = [],
            ["Herald.Storage"] = ["Herald.Primitives"],
            ["Herald.Broker"] = ["Herald.Storage", "Herald.Primitives"],
            ["Herald.Protocols.Kafka"] = ["Herald.Primitives"],
            ["Herald.Frontends.Kafka"] = ["Herald.Protocols.Kafka", "Herald.Broker", ProjectGraph.AspNetCore],
            ["Herald.Management"] = ["Herald.Broker", ProjectGraph.AspNetCore],
            ["Herald.Client"] = ["Herald.Protocols.Kafka"],
            ["Herald.Cli"] = ["Herald.Client"],
            ["Herald.Server"] = ["Herald.Frontends.Kafka", "Herald.Management", ProjectGraph.AspNetCore],
        });

        Assert.Empty(LayerRules.All.SelectMany(r => r.Violations(graph)));
    }
}
