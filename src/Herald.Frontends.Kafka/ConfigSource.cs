namespace Herald.Frontends.Kafka;

/// <summary>Where a config value comes from, as Kafka's DescribeConfigs v1+ reports it (<c>ConfigSource</c>).</summary>
internal enum ConfigSource : sbyte
{
    Unknown = 0,

    /// <summary>Set on the topic itself (Kafka's DYNAMIC_TOPIC_CONFIG).</summary>
    TopicConfig = 1,

    /// <summary>The built-in default (Kafka's DEFAULT_CONFIG).</summary>
    Default = 5,
}
