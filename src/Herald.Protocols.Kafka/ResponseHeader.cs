namespace Herald.Protocols.Kafka;

/// <summary>
/// The header that opens every response frame (the generated half holds the fields and codec). Layout: v0 is
/// <c>correlation_id int32</c>; v1 adds a tagged-field section and is used for flexible versions, except that an
/// ApiVersions response always uses v0 (see <see cref="ApiMessageType.GetResponseHeaderVersion"/>).
/// </summary>
public sealed partial class ResponseHeader
{
    /// <inheritdoc cref="ApiMessageType.GetResponseHeaderVersion"/>
    public static short GetHeaderVersion(ApiKey apiKey, short apiVersion) =>
        ApiMessageTypes.GetResponseHeaderVersion(apiKey, apiVersion);
}
