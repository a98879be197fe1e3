using System.Reflection;

namespace Herald.Protocols.Kafka.Tests;

/// <summary>
/// Every generated message type with its valid and flexible versions: the APIs of <see cref="ApiMessageTypes"/>
/// plus the two headers. Theories take (type name, version) pairs so each case shows up by name in test output.
/// </summary>
internal static class MessageCatalog
{
    public sealed record Entry(Type Type, VersionRange ValidVersions, VersionRange FlexibleVersions);

    public static IReadOnlyDictionary<string, Entry> ByName { get; } = Build();

    /// <summary>One row per message type and valid version.</summary>
    public static TheoryData<string, short> AllVersions()
    {
        var data = new TheoryData<string, short>();
        foreach (var entry in ByName.Values.OrderBy(e => e.Type.Name, StringComparer.Ordinal))
        {
            for (var version = entry.ValidVersions.Lowest; version <= entry.ValidVersions.Highest; version++)
            {
                data.Add(entry.Type.Name, version);
            }
        }
        return data;
    }

    public static IKafkaMessage Create(string typeName) => (IKafkaMessage)Activator.CreateInstance(ByName[typeName].Type)!;

    private static Dictionary<string, Entry> Build()
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var api in ApiMessageTypes.All)
        {
            entries.Add(api.RequestType.Name, new Entry(api.RequestType, api.ValidVersions, api.FlexibleVersions));
            entries.Add(api.ResponseType.Name, new Entry(api.ResponseType, api.ValidVersions, api.FlexibleVersions));
        }
        foreach (var header in new[] { typeof(RequestHeader), typeof(ResponseHeader) })
        {
            var lowest = (short)header.GetField("LowestSupportedVersion")!.GetValue(null)!;
            var highest = (short)header.GetField("HighestSupportedVersion")!.GetValue(null)!;
            var flexible = (VersionRange)header.GetProperty("FlexibleVersions", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            entries.Add(header.Name, new Entry(header, new VersionRange(lowest, highest), flexible));
        }
        return entries;
    }
}
