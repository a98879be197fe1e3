namespace Herald.Frontends.Kafka.Handlers;

/// <summary>Kafka's config resource types (<c>ConfigResource.Type</c>) that the config APIs name.</summary>
internal static class ConfigResource
{
    public const sbyte Topic = 2;
    public const sbyte Broker = 4;
}
