using Microsoft.Extensions.Logging;

namespace Herald.Broker.Groups;

/// <summary>Offset retention (offsets.retention.minutes) and offset deletion (Kafka's OffsetDelete).</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>
    /// Removes expired committed offsets, durably (tombstones in the offsets log), as Kafka 2.1+ does (KIP-211):
    /// a group with a protocol type (it had members) keeps all its offsets while it has members and loses them all
    /// once it has been empty for <see cref="GroupCoordinatorOptions.OffsetsRetention"/>; a group that only ever
    /// received "simple" commits loses each offset that long after it was committed. A group left with neither
    /// members nor offsets (also one that never committed) is forgotten. Runs every <see cref="GroupCoordinatorOptions.OffsetsRetentionCheckInterval"/>;
    /// returns how many offsets it removed.
    /// </summary>
    public async Task<int> ExpireOffsetsAsync()
    {
        if (!IsAvailable)
        {
            return 0;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var retention = (long)Options.OffsetsRetention.TotalMilliseconds;
        var removed = 0;
        foreach (var groupId in Offsets.GroupIds)
        {
            if (!TryGetRetentionBase(groupId, out var protocolType, out var emptySince)
                || Offsets.StableVersion(groupId) is not { } version)
            {
                continue;
            }
            var all = Offsets.GetAll(groupId);
            var expired = new List<OffsetChange>();
            foreach (var (topic, partition, offset) in all)
            {
                var since = protocolType.Length > 0 ? emptySince : offset.CommitTimestamp;
                if (now - since >= retention)
                {
                    expired.Add(new OffsetChange(topic, partition, null));
                }
            }
            if (expired.Count == 0)
            {
                continue;
            }
            try
            {
                // Only if nothing of the group was written since it was read: a commit that just landed is kept.
                if (!await Offsets.WriteIfUnchangedAsync(groupId, expired, version))
                {
                    continue;
                }
            }
            catch (Exception e) when (e is IOException or Storage.Log.StorageException)
            {
                _logger.LogWarning(e, "Could not remove expired offsets of group {Group}", groupId);
                continue;
            }
            removed += expired.Count;
            _logger.LogInformation("Removed {Count} expired committed offsets of group {Group}", expired.Count, groupId);
            if (expired.Count == all.Count)
            {
                await ForgetIfEmptyAsync(groupId);
            }
        }
        // Groups that emptied without ever committing are dead at once, as in Kafka's cleanup.
        foreach (var group in _groups.Values)
        {
            bool forget;
            lock (group.Gate)
            {
                forget = group.State == GroupState.Empty && Offsets.GetAll(group.GroupId).Count == 0;
            }
            if (forget)
            {
                await ForgetIfEmptyAsync(group.GroupId);
            }
        }
        return removed;
    }

    /// <summary>
    /// What retention counts from for a group with offsets: false while it has members; otherwise its protocol type
    /// ("" for a group of simple commits) and when it became empty (the load time if its members were lost with a
    /// restart).
    /// </summary>
    private bool TryGetRetentionBase(string groupId, out string protocolType, out long emptySince)
    {
        if (_groups.TryGetValue(groupId, out var group))
        {
            lock (group.Gate)
            {
                protocolType = group.ProtocolType;
                emptySince = group.EmptySince ?? _loadedAt;
                return group.State == GroupState.Empty;
            }
        }
        var stored = Offsets.GetGroupState(groupId);
        protocolType = stored?.ProtocolType ?? "";
        emptySince = stored?.EmptySince ?? _loadedAt;
        return true;
    }

    /// <summary>A group with no members and no offsets left is dead: it disappears from listings (Kafka does the same).</summary>
    private async Task ForgetIfEmptyAsync(string groupId)
    {
        if (_groups.TryGetValue(groupId, out var group))
        {
            lock (group.Gate)
            {
                if (group.State != GroupState.Empty || Offsets.GetAll(groupId).Count > 0)
                {
                    return;
                }
                CancelPhaseTimer(group);
                group.State = GroupState.Dead;
            }
            _groups.TryRemove(new KeyValuePair<string, ConsumerGroup>(groupId, group));
        }
        if (Offsets.GetGroupState(groupId) is not null)
        {
            await Offsets.RecordGroupStateAsync(groupId, null);
        }
    }

    /// <summary>
    /// Deletes committed offsets of some partitions (Kafka's OffsetDelete, ClassicGroup.validateOffsetDelete): an
    /// unknown group gets <see cref="GroupError.GroupIdNotFound"/>; a group with members whose metadata
    /// <paramref name="subscriptions"/> cannot read gets <see cref="GroupError.NonEmptyGroup"/>; partitions of topics a
    /// member subscribes to get <see cref="GroupError.GroupSubscribedToTopic"/>; the others are deleted durably.
    /// Returns the group's error and one error per partition, in order.
    /// </summary>
    public async Task<(GroupError GroupError, IReadOnlyList<GroupError> PartitionErrors)> DeleteOffsetsAsync(
        string groupId, IReadOnlyList<GroupTopicPartition> partitions, ISubscriptionFormat subscriptions)
    {
        if (!IsAvailable)
        {
            return (GroupError.CoordinatorNotAvailable, []);
        }
        HashSet<string>? subscribed = null;
        var subscribedToAll = false;
        if (_groups.TryGetValue(groupId, out var group))
        {
            lock (group.Gate)
            {
                if (group.State == GroupState.Dead)
                {
                    return (GroupError.GroupIdNotFound, []);
                }
                if (group.State != GroupState.Empty)
                {
                    if (!subscriptions.Understands(group.ProtocolType))
                    {
                        return (GroupError.NonEmptyGroup, []);
                    }
                    subscribed = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var member in group.Members)
                    {
                        var topics = subscriptions.TopicsOf(member.MetadataFor(group.ProtocolName ?? member.Protocols[0].Name));
                        if (topics is null)
                        {
                            subscribedToAll = true;
                            break;
                        }
                        subscribed.UnionWith(topics);
                    }
                }
            }
        }
        else if (Offsets.GetAll(groupId).Count == 0)
        {
            return (GroupError.GroupIdNotFound, []);
        }
        var errors = new GroupError[partitions.Count];
        var deletions = new List<OffsetChange>();
        for (var i = 0; i < partitions.Count; i++)
        {
            var (topic, partition) = partitions[i];
            if (subscribedToAll || subscribed?.Contains(topic) == true)
            {
                errors[i] = GroupError.GroupSubscribedToTopic;
            }
            else if (Offsets.Get(groupId, topic, partition) is not null)
            {
                deletions.Add(new OffsetChange(topic, partition, null));
            }
        }
        try
        {
            await Offsets.WriteAsync(groupId, deletions);
        }
        catch (Exception e) when (e is IOException or Storage.Log.StorageException)
        {
            _logger.LogWarning(e, "Could not delete offsets of group {Group}", groupId);
            return (GroupError.StorageUnavailable, []);
        }
        return (GroupError.None, errors);
    }
}
