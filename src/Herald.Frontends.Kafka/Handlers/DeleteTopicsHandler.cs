using Herald.Broker.Topics;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DeleteTopics (key 20), v0-6: by name (v0-5, <c>topic_names</c>) or by name or topic id (v6, <c>topics</c>).
/// A topic that does not exist gets UNKNOWN_TOPIC_OR_PARTITION, or UNKNOWN_TOPIC_ID when named by id. The topic
/// and its data are gone when the response is sent.
/// </summary>
internal sealed class DeleteTopicsHandler() : KafkaApiHandler<DeleteTopicsRequest>(ApiKey.DeleteTopics, new VersionRange(0, 6))
{
    protected override async ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DeleteTopicsRequest request)
    {
        var response = new DeleteTopicsResponse();
        var topics = context.Broker.Topics;
        if (context.ApiVersion < 6)
        {
            foreach (var name in request.TopicNames)
            {
                var error = await topics.DeleteAsync(name, context.Closing);
                response.Responses.Add(new DeleteTopicsResponse.DeletableTopicResult { Name = name, ErrorCode = KafkaErrors.From(error) });
            }
            return KafkaReply.Ready(response);
        }
        foreach (var state in request.Topics)
        {
            var result = new DeleteTopicsResponse.DeletableTopicResult { Name = state.Name, TopicId = state.TopicId };
            response.Responses.Add(result);
            string? name = state.Name;
            if (name is null)
            {
                if (!topics.TryGet(state.TopicId, out var byId))
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicId;
                    continue;
                }
                name = byId.Name;
                result.Name = name;
            }
            else if (topics.TryGet(name, out var byName))
            {
                result.TopicId = byName.Id;
            }
            var error = await topics.DeleteAsync(name, context.Closing);
            result.ErrorCode = KafkaErrors.From(error);
        }
        return KafkaReply.Ready(response);
    }
}
