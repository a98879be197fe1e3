using Herald.RespCommandGen;

namespace Herald.Frontends.Resp.Tests;

/// <summary>The committed catalog is what the generator makes from the Redis metadata today.</summary>
public sealed class CommandCatalogTests
{
    internal static string SpecsDirectory =>
        Path.GetFullPath(Path.Combine(ClientProcess.RepositoryRoot, CatalogGenerator.DefaultSpecsDirectory));

    [RequiresRedisSpecsFact]
    public void The_committed_command_catalog_matches_a_fresh_generation()
    {
        var committed = File.ReadAllText(Path.Combine(ClientProcess.RepositoryRoot, CatalogGenerator.DefaultOutputFile));

        var generated = CatalogGenerator.Generate(SpecsDirectory);

        Assert.True(generated == committed, "RespCommandCatalog.g.cs is stale: run `dotnet run --project tools/Herald.RespCommandGen` and commit.");
        Assert.Equal(generated, CatalogGenerator.Generate(SpecsDirectory));
    }
}

/// <summary>
/// A fact that needs the Redis command metadata beside the repository (../shared/specs/redis-commands, where CI puts
/// it); skipped with the reason when a checkout stands alone.
/// </summary>
public sealed class RequiresRedisSpecsFactAttribute : FactAttribute
{
    public RequiresRedisSpecsFactAttribute()
    {
        if (!Directory.Exists(CommandCatalogTests.SpecsDirectory))
        {
            Skip = $"Redis command metadata not found at {CommandCatalogTests.SpecsDirectory}; cannot check the catalog against it.";
        }
    }
}
