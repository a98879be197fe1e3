namespace Herald.Protocols.Kafka;

/// <summary>
/// Marks a generated property with its schema's version ranges, so a reader sees them next to the property and
/// tools (tests that build sample messages, documentation) can find them without the JSON schemas. The codec itself
/// never reads these attributes: Read and Write have the ranges compiled in.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class KafkaFieldAttribute(string versions) : Attribute
{
    /// <summary>The versions that carry the field, e.g. <c>"3+"</c>.</summary>
    public string Versions { get; } = versions;

    /// <summary>The versions in which the field may be null; null when never.</summary>
    public string? NullableVersions { get; set; }

    /// <summary>The versions in which the field travels in the tagged-field section; null when never.</summary>
    public string? TaggedVersions { get; set; }

    /// <summary>The field's tag in the tagged-field section; -1 when untagged.</summary>
    public int Tag { get; set; } = -1;
}
