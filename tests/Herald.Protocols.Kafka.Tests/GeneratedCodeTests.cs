using System.Reflection;
using Herald.CodeGen;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>The committed generated code matches the schemas and the API table is complete and consistent.</summary>
public class GeneratedCodeTests
{
    [RequiresKafkaSpecsFact]
    public void Committed_files_equal_a_fresh_generation()
    {
        var generated = KafkaCodeGenerator.Generate(RepositoryPaths.KafkaSpecs);
        var committedDirectory = Path.Combine(RepositoryPaths.Root, KafkaCodeGenerator.DefaultOutputDirectory);
        var committed = Directory.GetFiles(committedDirectory, "*.g.cs").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(generated.Select(f => f.Name).ToList(), committed);
        foreach (var file in generated)
        {
            var text = File.ReadAllText(Path.Combine(committedDirectory, file.Name));
            Assert.True(text == file.Content,
                $"{file.Name} differs from a fresh generation; run `dotnet run --project tools/Herald.CodeGen` and commit.");
        }
    }

    [RequiresKafkaSpecsFact]
    public void Generation_is_deterministic()
    {
        var first = KafkaCodeGenerator.Generate(RepositoryPaths.KafkaSpecs);
        var second = KafkaCodeGenerator.Generate(RepositoryPaths.KafkaSpecs);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Api_table_covers_keys_0_to_87_with_matching_message_metadata()
    {
        Assert.Equal(Enumerable.Range(0, 88).Select(k => (ApiKey)k), ApiMessageTypes.All.Select(a => a.ApiKey));
        foreach (var api in ApiMessageTypes.All)
        {
            Assert.Equal(api.Name + "Request", api.RequestType.Name);
            Assert.Equal(api.Name + "Response", api.ResponseType.Name);
            Assert.IsType(api.RequestType, api.CreateRequest());
            Assert.IsType(api.ResponseType, api.CreateResponse());
            foreach (var type in new[] { api.RequestType, api.ResponseType })
            {
                Assert.Equal(api.ApiKey, type.GetProperty("ApiKey", BindingFlags.Public | BindingFlags.Static)!.GetValue(null));
                Assert.Equal(api.LowestSupportedVersion, type.GetField("LowestSupportedVersion")!.GetValue(null));
                Assert.Equal(api.HighestSupportedVersion, type.GetField("HighestSupportedVersion")!.GetValue(null));
            }
            Assert.True(ApiMessageTypes.TryGet((short)api.ApiKey, out var found));
            Assert.Same(api, found);
        }
        Assert.False(ApiMessageTypes.TryGet(88, out _));
        Assert.False(ApiMessageTypes.TryGet(-1, out _));
    }

    [Fact]
    public void Produce_and_api_versions_have_the_expected_ranges()
    {
        var produce = ApiMessageTypes.Get(ApiKey.Produce);
        Assert.Equal(new VersionRange(0, 11), produce.ValidVersions);
        Assert.Equal("9+", produce.FlexibleVersions.ToString());
        var saslHandshake = ApiMessageTypes.Get(ApiKey.SaslHandshake);
        Assert.True(saslHandshake.FlexibleVersions.IsNone);
        Assert.Equal(VersionRange.Parse("3+"), ApiMessageTypes.Get(ApiKey.ApiVersions).FlexibleVersions);
    }
}

/// <summary>Locates the repository and the schemas beside it (../shared/specs/kafka-messages).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = KafkaCodeGenerator.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException($"No Herald.slnx above {AppContext.BaseDirectory}.");

    public static string KafkaSpecs { get; } = Path.GetFullPath(Path.Combine(Root, KafkaCodeGenerator.DefaultSpecsDirectory));
}

/// <summary>A fact that is skipped, with the reason, when the Kafka schemas are not checked out beside the repository.</summary>
public sealed class RequiresKafkaSpecsFactAttribute : FactAttribute
{
    public RequiresKafkaSpecsFactAttribute()
    {
        if (!Directory.Exists(RepositoryPaths.KafkaSpecs))
        {
            Skip = $"Kafka message schemas not found at {RepositoryPaths.KafkaSpecs}; cannot check the generated code against them.";
        }
    }
}
