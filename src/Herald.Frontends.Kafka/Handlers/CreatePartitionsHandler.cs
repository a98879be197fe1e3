using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// CreatePartitions (key 37), v0-3: grows topics. Per topic, as Kafka: a count that is not an increase is
/// INVALID_PARTITIONS, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, a topic named twice INVALID_REQUEST. Manual
/// assignments (one per new partition) must place each new partition on this node alone, else
/// INVALID_REPLICA_ASSIGNMENT. validate_only checks without changing anything.
/// </summary>
internal sealed class CreatePartitionsHandler() : KafkaApiHandler<CreatePartitionsRequest>(ApiKey.CreatePartitions, new VersionRange(0, 3))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, CreatePartitionsRequest request)
    {
        var response = new CreatePartitionsResponse();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in request.Topics)
        {
            names[topic.Name] = names.GetValueOrDefault(topic.Name) + 1;
        }
        foreach (var topic in request.Topics)
        {
            var result = new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = topic.Name };
            response.Results.Add(result);
            var (error, message) = names[topic.Name] > 1
                ? (ErrorCode.InvalidRequest, "Duplicate topic in request.")
                : CheckAssignments(context, topic);
            if (error == ErrorCode.None)
            {
                var (topicError, topicMessage) = await context.Broker.Topics.CreatePartitionsAsync(topic.Name, topic.Count,
                    request.ValidateOnly, context.Closing);
                (error, message) = ((ErrorCode)KafkaErrors.From(topicError), topicMessage);
            }
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
        }
        return KafkaReply.Ready(response);
    }

    private static (ErrorCode Error, string? Message) CheckAssignments(KafkaRequestContext context, CreatePartitionsRequest.CreatePartitionsTopic topic)
    {
        if (topic.Assignments is not { } assignments)
        {
            return (ErrorCode.None, null);
        }
        if (!context.Broker.Topics.TryGet(topic.Name, out var existing))
        {
            return (ErrorCode.None, null); // the broker reports the unknown topic
        }
        var added = topic.Count - existing.Partitions.Count;
        if (added > 0 && assignments.Count != added)
        {
            return (ErrorCode.InvalidReplicaAssignment,
                $"Attempted to add {added} additional partition(s), but only {assignments.Count} assignment(s) were specified.");
        }
        var nodeId = context.Options.NodeId;
        foreach (var assignment in assignments)
        {
            if (assignment.BrokerIds.Count != 1 || assignment.BrokerIds[0] != nodeId)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Each new partition must be assigned to broker {nodeId} alone.");
            }
        }
        return (ErrorCode.None, null);
    }
}
