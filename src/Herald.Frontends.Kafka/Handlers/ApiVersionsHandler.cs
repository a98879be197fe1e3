using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// ApiVersions (key 18), v0-4: advertises exactly the handlers in <see cref="KafkaApiTable"/> with their version
/// ranges (minimums matter: librdkafka before 2.11 enables features only when a range contains specific versions,
/// kafka-compatibility.md 1.2). Any ClientSoftwareName/Version is accepted. A version above 4 never reaches here:
/// the connection answers it with <see cref="UnsupportedVersionResponse"/>, error 35 in the v0 layout (KIP-511).
/// The response is the same for every client, so it is built once per table and shared (encoding only reads it).
/// </summary>
internal sealed class ApiVersionsHandler() : KafkaApiHandler<ApiVersionsRequest>(ApiKey.ApiVersions, new VersionRange(0, 4))
{
    private ApiVersionsResponse? _response;

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, ApiVersionsRequest request)
    {
        var response = Volatile.Read(ref _response);
        if (response is null)
        {
            response = new ApiVersionsResponse();
            foreach (var handler in context.Connection.Apis.Handlers)
            {
                response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion
                {
                    ApiKey = (short)handler.ApiKey,
                    MinVersion = handler.Versions.Lowest,
                    MaxVersion = handler.Versions.Highest,
                });
            }
            Volatile.Write(ref _response, response);
        }
        return KafkaReply.Ready(response);
    }

    /// <summary>Error 35 with the ApiVersions range, for a client to retry within it (written at version 0).</summary>
    public static ApiVersionsResponse UnsupportedVersionResponse(VersionRange supported) => new()
    {
        ErrorCode = (short)ErrorCode.UnsupportedVersion,
        ApiKeys =
        [
            new ApiVersionsResponse.ApiVersion
            {
                ApiKey = (short)ApiKey.ApiVersions,
                MinVersion = supported.Lowest,
                MaxVersion = supported.Highest,
            },
        ],
    };
}
