using Herald.RespCommandGen;

namespace Herald.Frontends.Resp.Tests;

/// <summary>The committed catalog is what the generator makes from the Redis metadata today.</summary>
public sealed class CommandCatalogTests
{
    [Fact]
    public void The_committed_command_catalog_matches_a_fresh_generation()
    {
        var specs = Path.GetFullPath(Path.Combine(ClientProcess.RepositoryRoot, CatalogGenerator.DefaultSpecsDirectory));
        var committed = File.ReadAllText(Path.Combine(ClientProcess.RepositoryRoot, CatalogGenerator.DefaultOutputFile));

        var generated = CatalogGenerator.Generate(specs);

        Assert.True(generated == committed, "RespCommandCatalog.g.cs is stale: run `dotnet run --project tools/Herald.RespCommandGen` and commit.");
        Assert.Equal(generated, CatalogGenerator.Generate(specs));
    }
}
