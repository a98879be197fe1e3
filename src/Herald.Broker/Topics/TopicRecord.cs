using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Broker.Topics;

/// <summary>
/// How a topic is kept in the metadata store: the value of key <c>topic/&lt;name&gt;</c> (and, while its logs are
/// being deleted, of <c>topic-deletion/&lt;id&gt;</c>), as UTF-8 JSON, for example
/// <c>{"name":"orders","id":"5f0c…","partitions":3,"configs":{"retention.ms":"60000"}}</c>. Only explicitly set
/// configs are stored, so a changed default applies to existing topics.
/// </summary>
internal sealed record TopicRecord(string Name, Guid Id, int Partitions, Dictionary<string, string> Configs)
{
    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, TopicRecordJson.Default.TopicRecord);

    /// <summary>The record in <paramref name="bytes"/>, or null when they are not a valid record.</summary>
    public static TopicRecord? TryParse(byte[] bytes)
    {
        try
        {
            var record = JsonSerializer.Deserialize(bytes, TopicRecordJson.Default.TopicRecord);
            return record is { Name: not null, Partitions: > 0, Configs: not null } ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TopicRecord))]
internal sealed partial class TopicRecordJson : JsonSerializerContext;
