using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// CreateTopics (key 19), v0-7. A single node accepts replication factor 1 or -1 (the default, v4+) and manual
/// assignments only when every partition's replicas are this node; num_partitions -1 (v4+) takes the broker
/// default. validate_only (v1+) checks without creating. From v5 a created topic is described back (partitions,
/// replication factor, configs) and from v7 with its topic id. A name given twice in one request fails for each
/// occurrence with INVALID_REQUEST, as in Kafka.
/// </summary>
internal sealed class CreateTopicsHandler() : KafkaApiHandler<CreateTopicsRequest>(ApiKey.CreateTopics, new VersionRange(0, 7))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, CreateTopicsRequest request)
    {
        var response = new CreateTopicsResponse();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in request.Topics)
        {
            names[topic.Name] = names.GetValueOrDefault(topic.Name) + 1;
        }
        foreach (var topic in request.Topics)
        {
            var result = names[topic.Name] > 1
                ? Failed(topic.Name, ErrorCode.InvalidRequest, $"Create topics request from client contains a duplicate topic: {topic.Name}")
                : await CreateAsync(context, topic, request.validateOnly);
            if (context.ApiVersion < 5)
            {
                result.Configs = null;
            }
            response.Topics.Add(result);
        }
        return KafkaReply.Ready(response);
    }

    private static async Task<CreateTopicsResponse.CreatableTopicResult> CreateAsync(
        KafkaRequestContext context, CreateTopicsRequest.CreatableTopic topic, bool validateOnly)
    {
        var nodeId = context.Options.NodeId;
        int? partitions = topic.NumPartitions == -1 ? null : topic.NumPartitions;
        if (topic.Assignments.Count > 0)
        {
            if (topic.NumPartitions != -1 || topic.ReplicationFactor != -1)
            {
                return Failed(topic.Name, ErrorCode.InvalidRequest,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
            }
            for (var i = 0; i < topic.Assignments.Count; i++)
            {
                var assignment = topic.Assignments[i];
                if (assignment.PartitionIndex != i || assignment.BrokerIds.Count != 1 || assignment.BrokerIds[0] != nodeId)
                {
                    return Failed(topic.Name, ErrorCode.InvalidReplicaAssignment,
                        $"Partitions must be numbered from 0 and each assigned to broker {nodeId} alone.");
                }
            }
            partitions = topic.Assignments.Count;
        }
        else if (topic.ReplicationFactor is not (1 or -1))
        {
            return Failed(topic.Name, ErrorCode.InvalidReplicationFactor,
                $"Replication factor: {topic.ReplicationFactor} larger than available brokers: 1.");
        }
        var configs = new List<KeyValuePair<string, string?>>(topic.Configs.Count);
        foreach (var config in topic.Configs)
        {
            configs.Add(KeyValuePair.Create(config.Name, config.Value));
        }
        var created = await context.Broker.Topics.CreateAsync(topic.Name, partitions, configs, validateOnly, context.Closing);
        if (created.Error != TopicError.None)
        {
            return Failed(topic.Name, (ErrorCode)KafkaErrors.From(created.Error), created.Message);
        }
        var result = new CreateTopicsResponse.CreatableTopicResult
        {
            Name = topic.Name,
            TopicId = created.Topic?.Id ?? Guid.Empty,
            ErrorMessage = null,
            NumPartitions = created.Partitions,
            ReplicationFactor = 1,
        };
        var baseline = context.Broker.Topics.BaselineLogOptions;
        foreach (var definition in TopicConfigCatalog.All)
        {
            var (value, isDefault) = created.Configs!.Resolve(definition, baseline);
            result.Configs!.Add(new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = definition.Name,
                Value = value,
                ConfigSource = (sbyte)(isDefault ? ConfigSource.Default : ConfigSource.TopicConfig),
            });
        }
        return result;
    }

    private static CreateTopicsResponse.CreatableTopicResult Failed(string name, ErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
    };
}
