using System.Diagnostics.CodeAnalysis;

namespace Herald.Protocols.Kafka;

/// <summary>
/// The table of every Kafka API the schemas define (the rows are generated in <c>Generated/ApiMessageTypes.g.cs</c>)
/// with lookup by key and the header-version rules. Immutable after type initialization; thread-safe.
/// </summary>
public static partial class ApiMessageTypes
{
    /// <summary>All APIs in key order.</summary>
    public static IReadOnlyList<ApiMessageType> All { get; } = CreateAll();

    private static readonly ApiMessageType?[] ByKey = IndexByKey(All);

    public static bool TryGet(short apiKey, [NotNullWhen(true)] out ApiMessageType? type)
    {
        type = (uint)apiKey < (uint)ByKey.Length ? ByKey[apiKey] : null;
        return type is not null;
    }

    /// <summary>Looks an API up by key; an unknown key is a protocol error (Kafka closes the connection).</summary>
    public static ApiMessageType Get(short apiKey)
    {
        if (!TryGet(apiKey, out var type))
        {
            throw new KafkaProtocolException($"Unknown API key {apiKey}.");
        }
        return type;
    }

    public static ApiMessageType Get(ApiKey apiKey) => Get((short)apiKey);

    /// <inheritdoc cref="ApiMessageType.GetRequestHeaderVersion"/>
    public static short GetRequestHeaderVersion(ApiKey apiKey, short apiVersion) =>
        Get(apiKey).GetRequestHeaderVersion(apiVersion);

    /// <inheritdoc cref="ApiMessageType.GetResponseHeaderVersion"/>
    public static short GetResponseHeaderVersion(ApiKey apiKey, short apiVersion) =>
        Get(apiKey).GetResponseHeaderVersion(apiVersion);

    private static ApiMessageType?[] IndexByKey(IReadOnlyList<ApiMessageType> all)
    {
        var max = 0;
        foreach (var type in all)
        {
            max = Math.Max(max, (short)type.ApiKey);
        }
        var index = new ApiMessageType?[max + 1];
        foreach (var type in all)
        {
            index[(short)type.ApiKey] = type;
        }
        return index;
    }
}
