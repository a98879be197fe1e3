using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// AlterConfigs (key 33), v0-2: replaces a topic's configs with the given set (names left out return to their
/// defaults, Kafka's non-incremental semantics), checked first and applied to the topic's logs at once;
/// validate_only checks only. Broker configs come from the server's options and cannot be altered here.
/// </summary>
internal sealed class AlterConfigsHandler() : KafkaApiHandler<AlterConfigsRequest>(ApiKey.AlterConfigs, new VersionRange(0, 2))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, AlterConfigsRequest request)
    {
        var response = new AlterConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new AlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            response.Responses.Add(result);
            if (resource.ResourceType != ConfigResource.Topic)
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequest;
                result.ErrorMessage = "Only topic configs can be altered; broker settings come from the server's options.";
                continue;
            }
            var configs = new List<KeyValuePair<string, string?>>(resource.Configs.Count);
            foreach (var config in resource.Configs)
            {
                configs.Add(KeyValuePair.Create(config.Name, config.Value));
            }
            var (error, message) = await context.Broker.Topics.AlterConfigsAsync(resource.ResourceName, configs, request.ValidateOnly, context.Closing);
            result.ErrorCode = KafkaErrors.From(error);
            result.ErrorMessage = message;
        }
        return KafkaReply.Ready(response);
    }
}
