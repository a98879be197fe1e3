namespace Herald.Protocols.Kafka;

/// <summary>
/// One Kafka API as the schemas describe it: key, name, valid and flexible versions, and the generated request and
/// response types with allocation-only factories (no reflection). Immutable; the table of all of them is
/// <see cref="ApiMessageTypes.All"/>.
/// </summary>
public sealed class ApiMessageType(
    ApiKey apiKey,
    string name,
    VersionRange validVersions,
    VersionRange flexibleVersions,
    bool latestVersionUnstable,
    Type requestType,
    Type responseType,
    Func<IKafkaMessage> createRequest,
    Func<IKafkaMessage> createResponse)
{
    public ApiKey ApiKey { get; } = apiKey;

    /// <summary>The schema name without its Request/Response suffix, e.g. <c>Produce</c>.</summary>
    public string Name { get; } = name;

    public VersionRange ValidVersions { get; } = validVersions;

    public short LowestSupportedVersion => ValidVersions.Lowest;

    public short HighestSupportedVersion => ValidVersions.Highest;

    /// <summary>Versions using compact encodings and tagged fields (open-ended in every schema that has them).</summary>
    public VersionRange FlexibleVersions { get; } = flexibleVersions;

    /// <summary>The schema marks its highest version as still under development.</summary>
    public bool LatestVersionUnstable { get; } = latestVersionUnstable;

    public Type RequestType { get; } = requestType;

    public Type ResponseType { get; } = responseType;

    public IKafkaMessage CreateRequest() => createRequest();

    public IKafkaMessage CreateResponse() => createResponse();

    public bool IsFlexible(short apiVersion) => FlexibleVersions.Contains(apiVersion);

    /// <summary>
    /// Request header version for <paramref name="apiVersion"/>: 2 for flexible versions, otherwise 1, except
    /// ControlledShutdown v0, the only request with header v0 (no client id). Same rule as Kafka's generated
    /// <c>ApiMessageType.requestHeaderVersion</c> (apache/kafka generator <c>ApiMessageTypeGenerator.java</c>).
    /// </summary>
    public short GetRequestHeaderVersion(short apiVersion)
    {
        if (IsFlexible(apiVersion))
        {
            return 2;
        }
        return ApiKey == ApiKey.ControlledShutdown && apiVersion == 0 ? (short)0 : (short)1;
    }

    /// <summary>
    /// Response header version for <paramref name="apiVersion"/>: 1 for flexible versions, otherwise 0, except
    /// ApiVersions, whose response always has header v0 so that a client can read the error of a version the broker
    /// does not support (KIP-511; <c>ApiMessageTypeGenerator.java</c>).
    /// </summary>
    public short GetResponseHeaderVersion(short apiVersion) =>
        IsFlexible(apiVersion) && ApiKey != ApiKey.ApiVersions ? (short)1 : (short)0;

    public override string ToString() => $"{Name} ({(short)ApiKey}) {ValidVersions}";
}
