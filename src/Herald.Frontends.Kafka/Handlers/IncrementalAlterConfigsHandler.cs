using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// IncrementalAlterConfigs (key 44), v0-1 (KIP-339): applies SET (0), DELETE (1, back to the default), APPEND (2)
/// and SUBTRACT (3, list-typed configs such as <c>cleanup.policy</c> only) to a topic's current configs, then
/// stores the result as <see cref="AlterConfigsHandler"/> does.
/// </summary>
internal sealed class IncrementalAlterConfigsHandler()
    : KafkaApiHandler<IncrementalAlterConfigsRequest>(ApiKey.IncrementalAlterConfigs, new VersionRange(0, 1))
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, IncrementalAlterConfigsRequest request)
    {
        var response = new IncrementalAlterConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
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
            if (!context.Broker.Topics.TryGet(resource.ResourceName, out var topic))
            {
                result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                result.ErrorMessage = $"Topic '{resource.ResourceName}' does not exist.";
                continue;
            }
            var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (name, value) in topic.Configs.Overrides)
            {
                configs[name] = value;
            }
            var problem = ApplyAll(resource, configs, topic, context.Broker.Topics);
            if (problem is not null)
            {
                result.ErrorCode = (short)ErrorCode.InvalidConfig;
                result.ErrorMessage = problem;
                continue;
            }
            var (error, message) = await context.Broker.Topics.AlterConfigsAsync(resource.ResourceName, configs, request.ValidateOnly, context.Closing);
            result.ErrorCode = KafkaErrors.From(error);
            result.ErrorMessage = message;
        }
        return KafkaReply.Ready(response);
    }

    private static string? ApplyAll(IncrementalAlterConfigsRequest.AlterConfigsResource resource, Dictionary<string, string?> configs,
        Topic topic, TopicRegistry registry)
    {
        foreach (var change in resource.Configs)
        {
            if (!TopicConfigCatalog.TryGet(change.Name, out var definition))
            {
                return $"Unknown topic config name: {change.Name}";
            }
            switch (change.ConfigOperation)
            {
                case Set:
                    configs[change.Name] = change.Value;
                    break;
                case Delete:
                    configs.Remove(change.Name);
                    break;
                case Append or Subtract when definition.Type == TopicConfigType.List:
                {
                    var current = topic.Configs.Resolve(definition, registry.BaselineLogOptions).Value;
                    if (configs.TryGetValue(change.Name, out var pending) && pending is not null)
                    {
                        current = pending;
                    }
                    var items = current.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
                    foreach (var item in (change.Value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (change.ConfigOperation == Append && !items.Contains(item))
                        {
                            items.Add(item);
                        }
                        else if (change.ConfigOperation == Subtract)
                        {
                            items.Remove(item);
                        }
                    }
                    configs[change.Name] = string.Join(',', items);
                    break;
                }
                case Append or Subtract:
                    return $"Config {change.Name} is not a list; APPEND and SUBTRACT apply to list configs only.";
                default:
                    return $"Unknown config operation {change.ConfigOperation}.";
            }
        }
        return null;
    }
}
