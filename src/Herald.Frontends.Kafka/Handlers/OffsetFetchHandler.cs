using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// OffsetFetch (key 9), v1-9: one group (v1-7) or a batch of groups (v8+). A partition without a committed offset
/// gets offset -1 and no error; null topics (v2+) mean every partition the group committed. No transactional
/// commits exist, so require_stable never has to wait.
/// </summary>
internal sealed class OffsetFetchHandler() : KafkaApiHandler<OffsetFetchRequest>(ApiKey.OffsetFetch, new VersionRange(1, 9))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, OffsetFetchRequest request)
    {
        var groups = context.Broker.Groups;
        var response = new OffsetFetchResponse();
        var available = groups.IsAvailable;
        if (context.ApiVersion >= 8)
        {
            foreach (var group in request.Groups)
            {
                var groupResult = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId };
                response.Groups.Add(groupResult);
                if (!available)
                {
                    groupResult.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
                    continue;
                }
                var requested = group.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
                foreach (var (topic, partitions) in Collect(groups.Offsets, group.GroupId, requested))
                {
                    var topicResult = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = topic };
                    groupResult.Topics.Add(topicResult);
                    foreach (var (partition, offset) in partitions)
                    {
                        topicResult.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartitions
                        {
                            PartitionIndex = partition,
                            CommittedOffset = offset?.Offset ?? -1,
                            CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                            Metadata = offset?.Metadata ?? "",
                        });
                    }
                }
            }
            return KafkaReply.Ready(response);
        }
        if (!available)
        {
            response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
            return KafkaReply.Ready(response);
        }
        var topics = request.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
        foreach (var (topic, partitions) in Collect(groups.Offsets, request.GroupId, topics))
        {
            var topicResult = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = topic };
            response.Topics.Add(topicResult);
            foreach (var (partition, offset) in partitions)
            {
                topicResult.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = partition,
                    CommittedOffset = offset?.Offset ?? -1,
                    CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                    Metadata = offset?.Metadata ?? "",
                });
            }
        }
        return KafkaReply.Ready(response);
    }

    /// <summary>The requested partitions with their committed offsets, or with null topics all the group's offsets.</summary>
    private static List<(string Topic, List<(int Partition, CommittedOffset? Offset)> Partitions)> Collect(
        CommittedOffsetStore offsets, string groupId, List<(string Name, IReadOnlyList<int> Partitions)>? requested)
    {
        if (requested is null)
        {
            return [.. offsets.GetAll(groupId).GroupBy(e => e.Topic)
                .Select(g => (g.Key, g.Select(e => (e.Partition, (CommittedOffset?)e.Offset)).ToList()))];
        }
        return [.. requested.Select(t => (t.Name, t.Partitions.Select(p => (p, offsets.Get(groupId, t.Name, p))).ToList()))];
    }
}
