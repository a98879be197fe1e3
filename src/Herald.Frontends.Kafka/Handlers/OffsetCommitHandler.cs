using Herald.Broker.Groups;
using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;

namespace Herald.Frontends.Kafka.Handlers;

/// <summary>
/// OffsetCommit (key 8), v2-9. Checked against the group as Kafka does (generation -1 without a member is a "simple"
/// commit, accepted while the group has no members); partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION and
/// metadata over <c>offset.metadata.max.bytes</c> OFFSET_METADATA_TOO_LARGE. The rest is stored in one batch and
/// answered once durable (a pending reply, so later requests keep running). v2-4's retention time is ignored.
/// </summary>
internal sealed class OffsetCommitHandler() : KafkaApiHandler<OffsetCommitRequest>(ApiKey.OffsetCommit, new VersionRange(2, 9))
{
    protected override ValueTask<KafkaReply> HandleAsync(KafkaRequestContext context, OffsetCommitRequest request)
    {
        var groups = context.Broker.Groups;
        var response = new OffsetCommitResponse();
        var toStore = new List<OffsetChange>();
        var stored = new List<OffsetCommitResponse.OffsetCommitResponsePartition>();
        var groupError = groups.ValidateCommit(request.GroupId, request.MemberId, request.GroupInstanceId, request.GenerationIdOrMemberEpoch);
        var now = context.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            context.Broker.Topics.TryGet(topic.Name, out var known);
            foreach (var partition in topic.Partitions)
            {
                var result = new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                if (groupError != GroupError.None)
                {
                    result.ErrorCode = KafkaGroupErrors.From(groupError);
                }
                else if (known?.GetPartition(partition.PartitionIndex) is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                }
                else if (!groups.IsMetadataAcceptable(partition.CommittedMetadata))
                {
                    result.ErrorCode = (short)ErrorCode.OffsetMetadataTooLarge;
                }
                else
                {
                    toStore.Add(new OffsetChange(topic.Name, partition.PartitionIndex,
                        new CommittedOffset(partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata, now)));
                    stored.Add(result);
                }
            }
        }
        if (toStore.Count == 0)
        {
            return KafkaReply.Ready(response);
        }
        return KafkaReply.Later(StoreAsync(groups, request.GroupId, toStore, stored, response));
    }

    private static async Task<KafkaResponse> StoreAsync(GroupCoordinator groups, string groupId, List<OffsetChange> changes,
        List<OffsetCommitResponse.OffsetCommitResponsePartition> results, OffsetCommitResponse response)
    {
        short error;
        try
        {
            await groups.Offsets.WriteAsync(groupId, changes);
            error = (short)ErrorCode.None;
        }
        catch (Exception e) when (e is IOException or Storage.Log.StorageException)
        {
            error = (short)ErrorCode.KafkaStorageError;
        }
        foreach (var result in results)
        {
            result.ErrorCode = error;
        }
        return new KafkaResponse(response);
    }
}
