using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DescribeConfigs (key 32), v0-4. A topic resource lists every topic config Herald accepts (or the keys asked for)
/// with its value in force and where it comes from: set on the topic, or the default (v0 says the same with
/// <c>is_default</c>). Synonyms (v1+) list that one source; config types come from v3. A broker resource has no
/// configs to show (they are fixed by the server's options), so it is answered with an empty list.
/// </summary>
internal sealed class DescribeConfigsHandler() : KafkaApiHandler<DescribeConfigsRequest>(ApiKey.DescribeConfigs, new VersionRange(0, 4))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            response.Results.Add(Describe(context, request, resource));
        }
        return KafkaReply.Ready(response);
    }

    private static DescribeConfigsResponse.DescribeConfigsResult Describe(KafkaRequestContext context, DescribeConfigsRequest request,
        DescribeConfigsRequest.DescribeConfigsResource resource)
    {
        var result = new DescribeConfigsResponse.DescribeConfigsResult
        {
            ResourceType = resource.ResourceType,
            ResourceName = resource.ResourceName,
            ErrorMessage = null,
        };
        if (resource.ResourceType == ConfigResource.Broker)
        {
            return result;
        }
        if (resource.ResourceType != ConfigResource.Topic)
        {
            result.ErrorCode = (short)ErrorCode.InvalidRequest;
            result.ErrorMessage = $"Unsupported resource type {resource.ResourceType}.";
            return result;
        }
        if (!context.Broker.Topics.TryGet(resource.ResourceName, out var topic))
        {
            var invalid = TopicNames.Check(resource.ResourceName) is not null;
            result.ErrorCode = (short)(invalid ? ErrorCode.InvalidTopicException : ErrorCode.UnknownTopicOrPartition);
            result.ErrorMessage = invalid ? "Invalid topic name." : $"Topic '{resource.ResourceName}' does not exist.";
            return result;
        }
        var configs = topic.Configs;
        var baseline = context.Broker.Topics.BaselineLogOptions;
        var version = context.ApiVersion;
        foreach (var definition in TopicConfigCatalog.All)
        {
            if (resource.ConfigurationKeys is { } keys && !keys.Contains(definition.Name))
            {
                continue;
            }
            var (value, isDefault) = configs.Resolve(definition, baseline);
            var source = (sbyte)(isDefault ? ConfigSource.Default : ConfigSource.TopicConfig);
            var entry = new DescribeConfigsResponse.DescribeConfigsResourceResult
            {
                Name = definition.Name,
                Value = value,
                IsDefault = version == 0 && isDefault,
                ConfigSource = source,
                ConfigType = version >= 3 ? (sbyte)definition.Type : (sbyte)0,
                Documentation = null,
            };
            if (request.IncludeSynonyms && version >= 1)
            {
                entry.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym { Name = definition.Name, Value = value, Source = source });
            }
            result.Configs.Add(entry);
        }
        return result;
    }
}
