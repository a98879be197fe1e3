using System.Globalization;
using System.Text.Json;

namespace Herald.CodeGen;

/// <summary>One schema file: a request, response or header message (the "data" schemas are not wire messages).</summary>
public sealed class MessageSpec
{
    public required string FileName { get; init; }

    public required string Name { get; init; }

    /// <summary>"request", "response" or "header".</summary>
    public required string Type { get; init; }

    public short? ApiKey { get; init; }

    public required Versions ValidVersions { get; init; }

    public required Versions FlexibleVersions { get; init; }

    public bool LatestVersionUnstable { get; init; }

    public required IReadOnlyList<FieldSpec> Fields { get; init; }

    public required IReadOnlyList<StructSpec> CommonStructs { get; init; }
}

/// <summary>A named struct: inline under a field, or one of a message's commonStructs.</summary>
public sealed class StructSpec
{
    public required string Name { get; init; }

    public required Versions Versions { get; init; }

    public required IReadOnlyList<FieldSpec> Fields { get; init; }
}

/// <summary>One field as the schema declares it; see Kafka's generator FieldSpec.java for the semantics.</summary>
public sealed class FieldSpec
{
    public required string Name { get; init; }

    /// <summary>The raw type: "int32", "string", "[]int32", "[]TopicData", "LeaderIdAndEpoch"...</summary>
    public required string Type { get; init; }

    public required Versions Versions { get; init; }

    public required Versions NullableVersions { get; init; }

    public required Versions TaggedVersions { get; init; }

    public int? Tag { get; init; }

    public bool Ignorable { get; init; }

    /// <summary>The schema's "default" as written (numbers may be hex; "null" for null), or null when absent.</summary>
    public string? Default { get; init; }

    public string About { get; init; } = "";

    /// <summary>A field-level "flexibleVersions" (only RequestHeader.ClientId uses it: "none").</summary>
    public Versions? FlexibleVersions { get; init; }

    /// <summary>Fields of the struct this field declares inline, if any.</summary>
    public IReadOnlyList<FieldSpec>? StructFields { get; init; }

    public bool IsArray => Type.StartsWith("[]", StringComparison.Ordinal);

    /// <summary>The element type for arrays, the type itself otherwise.</summary>
    public string ElementType => IsArray ? Type[2..] : Type;

    /// <summary>Struct type names start with an upper-case letter; primitive names are lower case.</summary>
    public bool IsStructType => char.IsUpper(ElementType[0]);
}

/// <summary>Loads schema files. The JSON has // comments and sometimes trailing commas; both are tolerated.</summary>
public static class SchemaLoader
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Loads every request, response and header schema of <paramref name="directory"/>, ordered by file name.</summary>
    public static IReadOnlyList<MessageSpec> LoadAll(string directory)
    {
        var files = Directory.GetFiles(directory, "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        var messages = new List<MessageSpec>();
        foreach (var file in files)
        {
            var message = Load(file);
            if (message is not null)
            {
                messages.Add(message);
            }
        }
        return messages;
    }

    private static MessageSpec? Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path), Options);
        var root = document.RootElement;
        var type = root.GetProperty("type").GetString()!;
        if (type is not ("request" or "response" or "header"))
        {
            return null;
        }
        var valid = Versions.Parse(root.GetProperty("validVersions").GetString(), Versions.None);
        return new MessageSpec
        {
            FileName = Path.GetFileName(path),
            Name = root.GetProperty("name").GetString()!,
            Type = type,
            ApiKey = OptionalScalar(root, "apiKey") is { } apiKey ? short.Parse(apiKey, CultureInfo.InvariantCulture) : null,
            ValidVersions = valid,
            FlexibleVersions = Versions.Parse(root.GetProperty("flexibleVersions").GetString(), Versions.None),
            LatestVersionUnstable = root.TryGetProperty("latestVersionUnstable", out var unstable) && unstable.GetBoolean(),
            Fields = ReadFields(root.GetProperty("fields")),
            CommonStructs = root.TryGetProperty("commonStructs", out var common)
                ? [.. common.EnumerateArray().Select(s => new StructSpec
                {
                    Name = s.GetProperty("name").GetString()!,
                    Versions = Versions.Parse(s.GetProperty("versions").GetString(), Versions.All),
                    Fields = ReadFields(s.GetProperty("fields")),
                })]
                : [],
        };
    }

    private static List<FieldSpec> ReadFields(JsonElement fields) =>
        [.. fields.EnumerateArray().Select(ReadField)];

    private static FieldSpec ReadField(JsonElement field)
    {
        var versions = Versions.Parse(field.GetProperty("versions").GetString(), Versions.None);
        return new FieldSpec
        {
            Name = field.GetProperty("name").GetString()!,
            Type = field.GetProperty("type").GetString()!,
            Versions = versions,
            NullableVersions = Versions.Parse(OptionalString(field, "nullableVersions"), Versions.None),
            TaggedVersions = Versions.Parse(OptionalString(field, "taggedVersions"), Versions.None),
            Tag = OptionalScalar(field, "tag") is { } tag ? int.Parse(tag, CultureInfo.InvariantCulture) : null,
            Ignorable = field.TryGetProperty("ignorable", out var ignorable) && ignorable.GetBoolean(),
            Default = OptionalScalar(field, "default"),
            About = OptionalString(field, "about") ?? "",
            FlexibleVersions = OptionalString(field, "flexibleVersions") is { } flexible
                ? Versions.Parse(flexible, Versions.None)
                : null,
            StructFields = field.TryGetProperty("fields", out var nested) ? ReadFields(nested) : null,
        };
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>Scalars are usually strings ("-1", "null") but a schema may write a bare number or boolean.</summary>
    private static string? OptionalScalar(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.GetRawText();
}
