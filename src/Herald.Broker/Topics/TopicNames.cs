namespace Herald.Broker.Topics;

/// <summary>
/// Kafka's topic naming rules (<c>org.apache.kafka.common.internals.Topic.validate</c>): 1 to 249 characters from
/// <c>[a-zA-Z0-9._-]</c>, and not <c>.</c> or <c>..</c>. The length limit keeps <c>name-partition</c> directory
/// names under common 255-byte file name limits. Stateless.
/// </summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>Why <paramref name="name"/> is not a legal topic name, or null when it is.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name is illegal, it can't be empty";
        }
        if (name is "." or "..")
        {
            return "Topic name cannot be \".\" or \"..\"";
        }
        if (name.Length > MaxLength)
        {
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        }
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
            }
        }
        return null;
    }

    /// <summary>
    /// Kafka forbids two topics whose names differ only by '.' versus '_', because both become the same metric
    /// name. Two names collide when this key is equal.
    /// </summary>
    public static string CollisionKey(string name) => name.Replace('.', '_');
}
