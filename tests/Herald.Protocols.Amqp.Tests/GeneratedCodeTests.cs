using System.Runtime.CompilerServices;
using Herald.AmqpCodeGen;

namespace Herald.Protocols.Amqp.Tests;

/// <summary>The committed generated files are what the generator makes from the spec today.</summary>
public sealed class GeneratedCodeTests
{
    internal static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(SourceDirectory(), "..", ".."));

    internal static string SpecFile => Path.GetFullPath(Path.Combine(RepositoryRoot, AmqpCodeGenerator.DefaultSpecFile));

    [RequiresAmqpSpecFact]
    public void Committed_files_equal_a_fresh_generation()
    {
        var generated = AmqpCodeGenerator.Generate(SpecFile);

        var committed = Directory.GetFiles(Path.Combine(RepositoryRoot, AmqpCodeGenerator.CodecDirectory), "*.g.cs")
            .Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, AmqpCodeGenerator.FrontendDirectory), "*.g.cs"))
            .Select(p => Path.GetRelativePath(RepositoryRoot, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(generated.Select(f => f.RelativePath).Order(StringComparer.Ordinal), committed);
        foreach (var file in generated)
        {
            Assert.True(File.ReadAllText(Path.Combine(RepositoryRoot, file.RelativePath)) == file.Content,
                $"{file.RelativePath} differs from a fresh generation; run `dotnet run --project tools/Herald.AmqpCodeGen` and commit.");
        }
    }

    [RequiresAmqpSpecFact]
    public void Generation_is_deterministic() =>
        Assert.Equal(AmqpCodeGenerator.Generate(SpecFile), AmqpCodeGenerator.Generate(SpecFile));

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

/// <summary>
/// A fact that needs the AMQP spec beside the repository (../shared/specs/amqp-0-9-1, where CI puts it); skipped
/// with the reason when a checkout stands alone.
/// </summary>
public sealed class RequiresAmqpSpecFactAttribute : FactAttribute
{
    public RequiresAmqpSpecFactAttribute()
    {
        if (!File.Exists(GeneratedCodeTests.SpecFile))
        {
            Skip = $"AMQP spec not found at {GeneratedCodeTests.SpecFile}; cannot check the generated code against it.";
        }
    }
}
