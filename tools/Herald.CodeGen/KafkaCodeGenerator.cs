namespace Herald.CodeGen;

/// <summary>One output file: its name (no directory) and its full text.</summary>
public sealed record GeneratedFile(string Name, string Content);

/// <summary>
/// The generator as a library: schemas in, file contents out, no I/O on the output side. The command line
/// (<c>Program</c>) writes the files; the regeneration test compares them with the committed ones.
/// </summary>
public static class KafkaCodeGenerator
{
    /// <summary>Where the schemas live, relative to the repository root.</summary>
    public const string DefaultSpecsDirectory = "../shared/specs/kafka-messages";

    /// <summary>Where the generated files go, relative to the repository root.</summary>
    public const string DefaultOutputDirectory = "src/Herald.Protocols.Kafka/Generated";

    /// <summary>Generates every file, ordered by name. Same schemas in, byte-identical files out.</summary>
    public static IReadOnlyList<GeneratedFile> Generate(string specsDirectory)
    {
        var messages = SchemaLoader.LoadAll(specsDirectory);
        if (messages.Count == 0)
        {
            throw new InvalidDataException($"No request, response or header schemas in {specsDirectory}.");
        }
        var files = new List<GeneratedFile>(messages.Count + 2);
        foreach (var message in messages)
        {
            files.Add(new GeneratedFile($"{message.Name}.g.cs", MessageEmitter.Emit(message)));
        }
        files.Add(new GeneratedFile("ApiKey.g.cs", ApiTableEmitter.EmitApiKey(messages)));
        files.Add(new GeneratedFile("ApiMessageTypes.g.cs", ApiTableEmitter.EmitTable(messages)));
        files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return files;
    }

    /// <summary>Walks up from <paramref name="start"/> to the directory holding Herald.slnx.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
            {
                return directory.FullName;
            }
        }
        return null;
    }
}
