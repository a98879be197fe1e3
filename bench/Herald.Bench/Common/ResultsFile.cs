using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Bench.Common;

/// <summary>
/// Writes a benchmark's results as indented JSON, by default to <c>artifacts/bench/&lt;command&gt;-&lt;utc&gt;.json</c>,
/// so runs can be kept and compared later (every raw round is in the file, not only the medians).
/// </summary>
internal static class ResultsFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write<T>(string command, T results, string? path, DateTimeOffset startedUtc)
    {
        path ??= Path.Combine(RepositoryPaths.ArtifactsBench,
            $"{command}-{startedUtc.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.json");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllText(path, JsonSerializer.Serialize(results, Options));
        return path;
    }
}
