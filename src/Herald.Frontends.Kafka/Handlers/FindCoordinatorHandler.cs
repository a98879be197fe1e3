using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// FindCoordinator (key 10), v0-4: a single node coordinates every group and transactional id, so the answer is
/// always this node, for key type 0 (group) and 1 (transaction) alike; v4+ answers each of the batched keys.
/// COORDINATOR_NOT_AVAILABLE while committed offsets are still loading.
/// </summary>
internal sealed class FindCoordinatorHandler() : KafkaApiHandler<FindCoordinatorRequest>(ApiKey.FindCoordinator, new VersionRange(0, 4))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, FindCoordinatorRequest request)
    {
        var (host, port) = context.AdvertisedEndpoint;
        var error = context.Broker.Groups.IsAvailable ? ErrorCode.None : ErrorCode.CoordinatorNotAvailable;
        var found = error == ErrorCode.None;
        var nodeId = context.Options.NodeId;
        var response = new FindCoordinatorResponse();
        if (context.ApiVersion >= 4)
        {
            foreach (var key in request.CoordinatorKeys)
            {
                response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
                {
                    Key = key,
                    NodeId = found ? nodeId : -1,
                    Host = found ? host : "",
                    Port = found ? port : -1,
                    ErrorCode = (short)error,
                });
            }
            return KafkaReply.Ready(response);
        }
        response.ErrorCode = (short)error;
        response.NodeId = found ? nodeId : -1;
        response.Host = found ? host : "";
        response.Port = found ? port : -1;
        return KafkaReply.Ready(response);
    }
}
