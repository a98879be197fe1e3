using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// Metadata (key 3), v0-12. One broker (this node, at the advertised endpoint), which is also the controller and
/// every partition's only replica and leader. Leader epochs are -1 throughout (kafka-compatibility.md 6.9, model
/// (a)); topic ids are real from creation (6.6). Topic lists follow Kafka's rules: in v0 an empty list means all
/// topics, from v1 null means all and empty means none; v12 may name topics by id alone.
///
/// Auto-creation happens when the request allows it (always before v4, the flag from v4) and the broker has it on.
/// Apache answers a freshly created topic with LEADER_NOT_AVAILABLE and lets the client ask again; here the topic
/// is complete once created, so it is described at once and the client saves a round trip.
/// </summary>
internal sealed class MetadataHandler() : KafkaApiHandler<MetadataRequest>(ApiKey.Metadata, new VersionRange(0, 12))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, MetadataRequest request)
    {
        var topics = context.Broker.Topics;
        var (host, port) = context.AdvertisedEndpoint;
        var nodeId = context.Options.NodeId;
        var response = new MetadataResponse
        {
            Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = nodeId, Host = host, Port = port }],
            ClusterId = context.Broker.ClusterId,
            ControllerId = nodeId,
        };
        var all = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0);
        if (all)
        {
            foreach (var topic in topics.All)
            {
                response.Topics.Add(Describe(topic, nodeId));
            }
            return KafkaReply.Ready(response);
        }
        var autoCreate = context.ApiVersion < 4 || request.AllowAutoTopicCreation;
        foreach (var requested in request.Topics!)
        {
            response.Topics.Add(await LookUpAsync(context, requested, autoCreate, nodeId));
        }
        return KafkaReply.Ready(response);
    }

    private static async ValueTask<MetadataResponse.MetadataResponseTopic> LookUpAsync(
        KafkaRequestContext context, MetadataRequest.MetadataRequestTopic requested, bool autoCreate, int nodeId)
    {
        var topics = context.Broker.Topics;
        if (requested.Name is null)
        {
            return topics.TryGet(requested.TopicId, out var byId)
                ? Describe(byId, nodeId)
                : new MetadataResponse.MetadataResponseTopic
                {
                    ErrorCode = (short)ErrorCode.UnknownTopicId,
                    Name = null,
                    TopicId = requested.TopicId,
                };
        }
        if (topics.TryGet(requested.Name, out var topic))
        {
            return Describe(topic, nodeId);
        }
        if (TopicNames.Check(requested.Name) is not null)
        {
            return Failed(requested.Name, ErrorCode.InvalidTopicException);
        }
        if (!autoCreate)
        {
            return Failed(requested.Name, ErrorCode.UnknownTopicOrPartition);
        }
        var (created, error, _) = await topics.GetOrCreateAsync(requested.Name, context.Closing);
        return created is not null ? Describe(created, nodeId) : Failed(requested.Name, (ErrorCode)KafkaErrors.From(error));
    }

    private static MetadataResponse.MetadataResponseTopic Failed(string name, ErrorCode error) =>
        new() { ErrorCode = (short)error, Name = name };

    private static MetadataResponse.MetadataResponseTopic Describe(Topic topic, int nodeId)
    {
        var described = new MetadataResponse.MetadataResponseTopic { Name = topic.Name, TopicId = topic.Id };
        foreach (var partition in topic.Partitions)
        {
            described.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = partition.Index,
                LeaderId = nodeId,
                LeaderEpoch = -1,
                ReplicaNodes = [nodeId],
                IsrNodes = [nodeId],
            });
        }
        return described;
    }
}
