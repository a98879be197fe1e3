namespace Herald.Protocols.Kafka;

/// <summary>
/// The header that opens every request frame (the generated half holds the fields and codec). Layout by header
/// version:
/// <code>
/// v0  api_key int16, api_version int16, correlation_id int32              (ControlledShutdown v0 only)
/// v1  v0 + client_id: classic nullable string (int16 length)
/// v2  v1 + tagged fields; client_id keeps the classic int16 length so any broker can read the header of any
///     ApiVersions request, even of a version it does not know (schema RequestHeader.json)
/// </code>
/// The header version follows from the API key and version in the first four bytes; see
/// <see cref="ApiMessageType.GetRequestHeaderVersion"/>.
/// </summary>
public sealed partial class RequestHeader
{
    /// <summary><see cref="RequestApiKey"/> as the enum.</summary>
    public ApiKey ApiKey => (ApiKey)RequestApiKey;

    /// <inheritdoc cref="ApiMessageType.GetRequestHeaderVersion"/>
    public static short GetHeaderVersion(ApiKey apiKey, short apiVersion) =>
        ApiMessageTypes.GetRequestHeaderVersion(apiKey, apiVersion);

    /// <summary>
    /// Reads the header at the start of a request frame: peeks the API key and version, derives the header version
    /// and decodes it. An unknown API key throws <see cref="KafkaProtocolException"/>. A known API at a version
    /// beyond the schemas still parses (flexible ranges are open-ended), which is what lets a broker answer an
    /// ApiVersions request newer than itself.
    /// </summary>
    public static RequestHeader ReadFrom(ref KafkaReader reader, out short headerVersion)
    {
        var apiKey = reader.PeekInt16(0);
        var apiVersion = reader.PeekInt16(2);
        headerVersion = ApiMessageTypes.Get(apiKey).GetRequestHeaderVersion(apiVersion);
        var header = new RequestHeader();
        header.Read(ref reader, headerVersion);
        return header;
    }
}
