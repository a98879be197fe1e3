namespace Herald.Broker.Groups;

/// <summary>
/// One group's membership and rebalance state (kafka-compatibility.md section 4). All fields are guarded by
/// <see cref="Gate"/>; <see cref="GroupCoordinator"/> holds it while it moves the group between states, and
/// completes waiting joins and syncs through TaskCompletionSources created with RunContinuationsAsynchronously,
/// so no client code runs under the lock. Lifetime: created on first join or commit, removed when deleted.
/// </summary>
internal sealed class ConsumerGroup(string groupId)
{
    public Lock Gate { get; } = new();

    public string GroupId { get; } = groupId;

    public GroupState State { get; set; } = GroupState.Empty;

    public int GenerationId { get; set; }

    /// <summary>Empty until the first member joins; members of later joins must send the same type.</summary>
    public string ProtocolType { get; set; } = "";

    /// <summary>The protocol chosen at the last completed join; null before.</summary>
    public string? ProtocolName { get; set; }

    public string? LeaderId { get; set; }

    /// <summary>When (Unix ms) the group last became empty; null while it has members. Offset retention counts from it.</summary>
    public long? EmptySince { get; set; }

    /// <summary>True once the group's state has been recorded in the offsets log at least once.</summary>
    public bool StateRecorded { get; set; }

    /// <summary>Members in join order (the first joiner becomes leader when there is none).</summary>
    public List<GroupMember> Members { get; } = [];

    /// <summary>
    /// Ids handed out with MemberIdRequired whose owners have not joined with them yet, with the monotonic time after
    /// which they are forgotten (one session timeout). They do not hold up a join phase: a late one rebalances again.
    /// </summary>
    public Dictionary<string, long> PendingMemberIds { get; } = new(StringComparer.Ordinal);

    /// <summary>Drives the join phase (initial delay, then rebalance timeout) or the sync phase (rebalance timeout).</summary>
    public ITimer? PhaseTimer { get; set; }

    /// <summary>Bumped each time a phase timer is armed, so a timer that fires after being replaced does nothing.</summary>
    public long PhaseSequence { get; set; }

    /// <summary>While the initial delay runs, joins never complete the phase early.</summary>
    public bool InInitialDelay { get; set; }

    /// <summary>When the initial delay started (monotonic), bounding its extensions by the rebalance timeout.</summary>
    public long InitialDelayStartedAt { get; set; }

    /// <summary>Members that joined during the current initial delay (extends it, as Kafka's InitialDelayedJoin).</summary>
    public int JoinsDuringDelay { get; set; }

    public GroupMember? Find(string memberId)
    {
        foreach (var member in Members)
        {
            if (member.MemberId == memberId)
            {
                return member;
            }
        }
        return null;
    }

    public GroupMember? FindInstance(string instanceId)
    {
        foreach (var member in Members)
        {
            if (member.GroupInstanceId == instanceId)
            {
                return member;
            }
        }
        return null;
    }

    /// <summary>The largest rebalance timeout of the members: how long a join or sync phase may last.</summary>
    public TimeSpan RebalanceTimeout()
    {
        var timeout = TimeSpan.Zero;
        foreach (var member in Members)
        {
            if (member.RebalanceTimeout > timeout)
            {
                timeout = member.RebalanceTimeout;
            }
        }
        return timeout;
    }
}

/// <summary>A member of a <see cref="ConsumerGroup"/>; guarded by the group's lock.</summary>
internal sealed class GroupMember(string memberId)
{
    public string MemberId { get; set; } = memberId;

    public string? GroupInstanceId { get; init; }

    public string ClientId { get; set; } = "";

    public string ClientHost { get; set; } = "";

    public TimeSpan SessionTimeout { get; set; }

    public TimeSpan RebalanceTimeout { get; set; }

    public IReadOnlyList<GroupProtocol> Protocols { get; set; } = [];

    public byte[] Assignment { get; set; } = [];

    /// <summary>Set while the member waits in the join phase; completed when the phase ends.</summary>
    public TaskCompletionSource<GroupJoinResult>? PendingJoin { get; set; }

    /// <summary>Set while the member waits for the leader's assignment.</summary>
    public TaskCompletionSource<GroupSyncResult>? PendingSync { get; set; }

    /// <summary>Fires when no heartbeat, join, sync or commit arrived within the session timeout.</summary>
    public ITimer? SessionTimer { get; set; }

    public byte[] MetadataFor(string? protocol)
    {
        foreach (var p in Protocols)
        {
            if (p.Name == protocol)
            {
                return p.Metadata;
            }
        }
        return [];
    }

    public bool SameProtocols(IReadOnlyList<GroupProtocol> other)
    {
        if (other.Count != Protocols.Count)
        {
            return false;
        }
        for (var i = 0; i < other.Count; i++)
        {
            if (other[i].Name != Protocols[i].Name || !other[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }
        return true;
    }
}
