using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// DescribeCluster (key 60), v0-1: the Java admin client's describeCluster. One broker (this node, at the advertised
/// endpoint), which is also the controller, and the cluster id. v1's endpoint type 2 (controllers) is for KRaft
/// controller listeners, which a broker listener refuses with UNSUPPORTED_ENDPOINT_TYPE as Kafka's does.
///
/// Authorized operations: Kafka sends <see cref="int.MinValue"/> when they were not asked for; when asked, a node
/// without an authorizer allows everything, so the answer is every operation Kafka defines on the cluster resource
/// (<c>AclEntry.supportedOperations(CLUSTER)</c>) as a bit field of ACL operation codes.
/// </summary>
internal sealed class DescribeClusterHandler() : KafkaApiHandler<DescribeClusterRequest>(ApiKey.DescribeCluster, new VersionRange(0, 1))
{
    private const sbyte BrokersEndpoint = 1;

    // Kafka's AclOperation codes.
    private const int Create = 5, Alter = 7, Describe = 8, ClusterAction = 9, DescribeConfigs = 10, AlterConfigs = 11, IdempotentWrite = 12;

    /// <summary>Every operation on the cluster resource, as Kafka encodes authorized operations: bit n = ACL operation n.</summary>
    public const int ClusterOperations = (1 << Create) | (1 << Alter) | (1 << Describe) | (1 << ClusterAction) |
        (1 << DescribeConfigs) | (1 << AlterConfigs) | (1 << IdempotentWrite);

    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, DescribeClusterRequest request)
    {
        var response = new DescribeClusterResponse { EndpointType = request.EndpointType };
        if (context.ApiVersion >= 1 && request.EndpointType != BrokersEndpoint)
        {
            response.ErrorCode = (short)ErrorCode.UnsupportedEndpointType;
            response.ErrorMessage = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER";
            return KafkaReply.Ready(response);
        }
        var (host, port) = context.AdvertisedEndpoint;
        var nodeId = context.Options.NodeId;
        response.ClusterId = context.Broker.ClusterId;
        response.ControllerId = nodeId;
        response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = nodeId, Host = host, Port = port });
        if (request.IncludeClusterAuthorizedOperations)
        {
            response.ClusterAuthorizedOperations = ClusterOperations;
        }
        return KafkaReply.Ready(response);
    }
}
