using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.Groups;

/// <summary>
/// Kafka's classic group protocol, protocol-neutral (kafka-compatibility.md section 4): members join, the group
/// picks a protocol every member supports and a leader, the leader's assignment is handed out at sync, heartbeats
/// keep sessions alive and tell members when to rejoin, and committed offsets live in <see cref="Offsets"/>.
///
/// Time comes only from the injected clock: each member has one session timer and each group one phase timer
/// (initial delay, join or sync deadline), so no thread waits per group or member. Joins and syncs that must wait
/// return tasks completed when their phase ends.
///
/// Thread-safety: every operation takes its group's lock; timer callbacks do too, and check that the state they
/// were armed for still holds. Lifetime: one per broker; <see cref="Dispose"/> stops every timer.
/// </summary>
public sealed partial class GroupCoordinator : IDisposable
{
    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private ITimer? _retentionTimer;

    /// <summary>When (Unix ms) the offsets were loaded: groups whose members were lost with a restart became empty then.</summary>
    private long _loadedAt;

    public GroupCoordinator(CommittedOffsetStore offsets, GroupCoordinatorOptions options, TimeProvider clock, ILogger logger)
    {
        Offsets = offsets;
        Options = options;
        _clock = clock;
        _logger = logger;
    }

    public CommittedOffsetStore Offsets { get; }

    public GroupCoordinatorOptions Options { get; }

    /// <summary>False until committed offsets are loaded: front ends answer "coordinator not available" meanwhile.</summary>
    public bool IsAvailable => Offsets.IsLoaded;

    /// <summary>Replays committed offsets; called by <see cref="Broker.StartAsync"/>.</summary>
    public void Load()
    {
        Offsets.Load();
        _loadedAt = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var interval = Options.OffsetsRetentionCheckInterval;
        _retentionTimer = _clock.CreateTimer(
            static state =>
            {
                var coordinator = (GroupCoordinator)state!;
                coordinator.ExpireOffsetsAsync().ContinueWith(
                    static (t, logger) => ((ILogger)logger!).LogWarning(t.Exception, "The committed offsets retention check failed"),
                    coordinator._logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            },
            this, interval, interval);
    }

    // ---- Join ----

    public Task<GroupJoinResult> JoinAsync(GroupJoinRequest request)
    {
        if (!IsAvailable)
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.CoordinatorNotAvailable, request.MemberId));
        }
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.InvalidGroupId, request.MemberId));
        }
        if (request.SessionTimeout < Options.MinSessionTimeout || request.SessionTimeout > Options.MaxSessionTimeout)
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.InvalidSessionTimeout, request.MemberId));
        }
        var group = _groups.GetOrAdd(request.GroupId, static id => new ConsumerGroup(id));
        lock (group.Gate)
        {
            if (group.State == GroupState.Dead)
            {
                return Task.FromResult(GroupJoinResult.Failed(GroupError.CoordinatorNotAvailable, request.MemberId));
            }
            if (!IsCompatible(group, request))
            {
                return Task.FromResult(GroupJoinResult.Failed(GroupError.InconsistentGroupProtocol, request.MemberId));
            }
            return request.MemberId.Length == 0 ? JoinNewMember(group, request) : JoinKnownMember(group, request);
        }
    }

    private Task<GroupJoinResult> JoinNewMember(ConsumerGroup group, GroupJoinRequest request)
    {
        var memberId = $"{request.ClientId}-{Guid.NewGuid()}";
        if (request.GroupInstanceId is { } instanceId && group.FindInstance(instanceId) is { } previous)
        {
            return ReplaceStaticMember(group, previous, memberId, request);
        }
        if (group.Members.Count + group.PendingMemberIds.Count >= Options.MaxGroupSize)
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.GroupMaxSizeReached));
        }
        if (request.RequireKnownMemberId && request.GroupInstanceId is null)
        {
            group.PendingMemberIds[memberId] = _clock.GetTimestamp() + (long)(request.SessionTimeout.TotalSeconds * _clock.TimestampFrequency);
            return Task.FromResult(GroupJoinResult.Failed(GroupError.MemberIdRequired, memberId));
        }
        return AddMemberAndRebalance(group, memberId, request);
    }

    private Task<GroupJoinResult> JoinKnownMember(ConsumerGroup group, GroupJoinRequest request)
    {
        if (group.PendingMemberIds.Remove(request.MemberId))
        {
            return AddMemberAndRebalance(group, request.MemberId, request);
        }
        if (request.GroupInstanceId is { } instanceId && group.FindInstance(instanceId) is { } owner
            && owner.MemberId != request.MemberId)
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.FencedInstanceId, request.MemberId));
        }
        var member = group.Find(request.MemberId);
        if (member is null)
        {
            return Task.FromResult(GroupJoinResult.Failed(GroupError.UnknownMemberId, request.MemberId));
        }
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                UpdateMember(member, request);
                var rejoined = AwaitJoin(member);
                TryCompleteJoin(group);
                return rejoined;
            case GroupState.CompletingRebalance when member.SameProtocols(request.Protocols):
            case GroupState.Stable when member.SameProtocols(request.Protocols) && member.MemberId != group.LeaderId:
                // A retried join with nothing new: answer with the current generation instead of rebalancing.
                ResetSession(group, member);
                return Task.FromResult(CurrentJoinResult(group, member));
            default:
                UpdateMember(member, request);
                var joined = AwaitJoin(member);
                PrepareRebalance(group, $"member {member.MemberId} rejoined");
                return joined;
        }
    }

    private Task<GroupJoinResult> ReplaceStaticMember(ConsumerGroup group, GroupMember previous, string memberId,
        GroupJoinRequest request)
    {
        // The old incarnation is fenced: whatever it still waits for fails, and its id is no longer known.
        previous.PendingJoin?.TrySetResult(GroupJoinResult.Failed(GroupError.FencedInstanceId, previous.MemberId));
        previous.PendingJoin = null;
        previous.PendingSync?.TrySetResult(GroupSyncResult.Failed(GroupError.FencedInstanceId));
        previous.PendingSync = null;
        var wasLeader = group.LeaderId == previous.MemberId;
        previous.MemberId = memberId;
        if (wasLeader)
        {
            group.LeaderId = memberId;
        }
        if (group.State == GroupState.Stable && previous.SameProtocols(request.Protocols))
        {
            // A static member restarting with the same subscription keeps its assignment: no rebalance (KIP-345).
            UpdateMember(previous, request);
            ResetSession(group, previous);
            return Task.FromResult(CurrentJoinResult(group, previous));
        }
        UpdateMember(previous, request);
        var joined = AwaitJoin(previous);
        if (group.State != GroupState.PreparingRebalance)
        {
            PrepareRebalance(group, $"static member {request.GroupInstanceId} rejoined");
        }
        else
        {
            TryCompleteJoin(group);
        }
        return joined;
    }

    private Task<GroupJoinResult> AddMemberAndRebalance(ConsumerGroup group, string memberId, GroupJoinRequest request)
    {
        var member = new GroupMember(memberId) { GroupInstanceId = request.GroupInstanceId };
        UpdateMember(member, request);
        group.Members.Add(member);
        if (group.Members.Count == 1)
        {
            group.ProtocolType = request.ProtocolType;
        }
        var joined = AwaitJoin(member);
        if (group.State == GroupState.PreparingRebalance)
        {
            if (group.InInitialDelay)
            {
                group.JoinsDuringDelay++;
            }
            TryCompleteJoin(group);
        }
        else
        {
            PrepareRebalance(group, $"member {memberId} joined");
        }
        return joined;
    }

    private static void UpdateMember(GroupMember member, GroupJoinRequest request)
    {
        member.ClientId = request.ClientId;
        member.ClientHost = request.ClientHost;
        member.SessionTimeout = request.SessionTimeout;
        member.RebalanceTimeout = request.RebalanceTimeout;
        member.Protocols = request.Protocols;
    }

    private static Task<GroupJoinResult> AwaitJoin(GroupMember member)
    {
        // A member waiting to join is not expected to heartbeat; the rebalance timeout bounds its wait instead.
        member.SessionTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        member.PendingJoin?.TrySetResult(GroupJoinResult.Failed(GroupError.UnknownMemberId, member.MemberId));
        member.PendingJoin = new TaskCompletionSource<GroupJoinResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        return member.PendingJoin.Task;
    }

    private static bool IsCompatible(ConsumerGroup group, GroupJoinRequest request)
    {
        if (request.ProtocolType.Length == 0 || request.Protocols.Count == 0)
        {
            return false;
        }
        if (group.Members.Count == 0)
        {
            return true;
        }
        if (request.ProtocolType != group.ProtocolType)
        {
            return false;
        }
        // Some protocol every other member supports must be among the newcomer's.
        foreach (var candidate in request.Protocols)
        {
            var everyone = true;
            foreach (var member in group.Members)
            {
                if (member.MemberId != request.MemberId && !member.Protocols.Any(p => p.Name == candidate.Name))
                {
                    everyone = false;
                    break;
                }
            }
            if (everyone)
            {
                return true;
            }
        }
        return false;
    }

    private void PrepareRebalance(ConsumerGroup group, string reason)
    {
        _logger.LogDebug("Group {Group} rebalances: {Reason}", group.GroupId, reason);
        foreach (var member in group.Members.Where(m => m.PendingSync is not null))
        {
            member.PendingSync!.TrySetResult(GroupSyncResult.Failed(GroupError.RebalanceInProgress));
            member.PendingSync = null;
            ResetSession(group, member);
        }
        var wasEmpty = group.State == GroupState.Empty;
        group.State = GroupState.PreparingRebalance;
        if (wasEmpty && Options.InitialRebalanceDelay > TimeSpan.Zero)
        {
            group.InInitialDelay = true;
            group.JoinsDuringDelay = 0;
            group.InitialDelayStartedAt = _clock.GetTimestamp();
            ArmPhaseTimer(group, Min(Options.InitialRebalanceDelay, group.RebalanceTimeout()), OnInitialDelayElapsed);
        }
        else
        {
            group.InInitialDelay = false;
            ArmPhaseTimer(group, group.RebalanceTimeout(), OnJoinDeadline);
            TryCompleteJoin(group);
        }
    }

    private void OnInitialDelayElapsed(ConsumerGroup group)
    {
        var elapsed = _clock.GetElapsedTime(group.InitialDelayStartedAt);
        var remaining = group.RebalanceTimeout() - elapsed;
        if (group.JoinsDuringDelay > 0 && remaining > TimeSpan.Zero)
        {
            // More members arrived: wait one more delay for the rest of them, within the rebalance timeout.
            group.JoinsDuringDelay = 0;
            ArmPhaseTimer(group, Min(Options.InitialRebalanceDelay, remaining), OnInitialDelayElapsed);
            return;
        }
        group.InInitialDelay = false;
        CompleteJoin(group);
    }

    private void OnJoinDeadline(ConsumerGroup group) => CompleteJoin(group);

    private void TryCompleteJoin(ConsumerGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.InInitialDelay
            && group.Members.All(m => m.PendingJoin is not null))
        {
            CompleteJoin(group);
        }
    }

    private void CompleteJoin(ConsumerGroup group)
    {
        CancelPhaseTimer(group);
        group.InInitialDelay = false;
        // Members that did not rejoin in time are dropped, as are ids handed out but unused for a session timeout.
        var now = _clock.GetTimestamp();
        foreach (var stale in group.PendingMemberIds.Where(p => p.Value <= now).Select(p => p.Key).ToList())
        {
            group.PendingMemberIds.Remove(stale);
        }
        foreach (var member in group.Members.Where(m => m.PendingJoin is null).ToList())
        {
            RemoveMember(group, member);
        }
        group.GenerationId++;
        if (group.Members.Count == 0)
        {
            BecomeEmpty(group);
            return;
        }
        group.ProtocolName = SelectProtocol(group);
        if (group.LeaderId is null || group.Find(group.LeaderId) is null)
        {
            group.LeaderId = group.Members[0].MemberId;
        }
        group.State = GroupState.CompletingRebalance;
        if (group.EmptySince is not null || !group.StateRecorded)
        {
            group.EmptySince = null;
            RecordState(group);
        }
        foreach (var member in group.Members)
        {
            member.Assignment = [];
            var result = CurrentJoinResult(group, member);
            member.PendingJoin!.TrySetResult(result);
            member.PendingJoin = null;
            ResetSession(group, member);
        }
        ArmPhaseTimer(group, group.RebalanceTimeout(), OnSyncDeadline);
    }

    private void OnSyncDeadline(ConsumerGroup group)
    {
        if (group.State != GroupState.CompletingRebalance)
        {
            return;
        }
        // The leader never sent the assignment: members still waiting are kept and the group starts over; the
        // others (the leader among them) have gone quiet and are dropped (Kafka's pending-sync expiry).
        foreach (var member in group.Members.Where(m => m.PendingSync is null).ToList())
        {
            RemoveMember(group, member);
        }
        if (group.Members.Count == 0)
        {
            BecomeEmpty(group);
            return;
        }
        PrepareRebalance(group, "the leader did not sync within the rebalance timeout");
    }

    private static string SelectProtocol(ConsumerGroup group)
    {
        var candidates = group.Members[0].Protocols.Select(p => p.Name)
            .Where(name => group.Members.All(m => m.Protocols.Any(p => p.Name == name)))
            .ToList();
        // Each member votes for the first of its preferences that everyone supports; ties go to the earlier candidate.
        var votes = candidates.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var member in group.Members)
        {
            var choice = member.Protocols.First(p => votes.ContainsKey(p.Name)).Name;
            votes[choice]++;
        }
        return candidates.OrderByDescending(c => votes[c]).First();
    }

    private static GroupJoinResult CurrentJoinResult(ConsumerGroup group, GroupMember member)
    {
        IReadOnlyList<JoinedMember> members = member.MemberId == group.LeaderId
            ? [.. group.Members.Select(m => new JoinedMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(group.ProtocolName)))]
            : [];
        return new GroupJoinResult(GroupError.None, group.GenerationId, group.ProtocolType, group.ProtocolName,
            group.LeaderId ?? "", member.MemberId, members);
    }

    // ---- Sync ----

    public Task<GroupSyncResult> SyncAsync(GroupSyncRequest request)
    {
        if (!IsAvailable)
        {
            return Task.FromResult(GroupSyncResult.Failed(GroupError.CoordinatorNotAvailable));
        }
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return Task.FromResult(GroupSyncResult.Failed(GroupError.UnknownMemberId));
        }
        lock (group.Gate)
        {
            var error = ValidateMember(group, request.MemberId, request.GroupInstanceId, request.GenerationId, out var member);
            if (error != GroupError.None)
            {
                return Task.FromResult(GroupSyncResult.Failed(error));
            }
            if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
            {
                return Task.FromResult(GroupSyncResult.Failed(GroupError.InconsistentGroupProtocol));
            }
            ResetSession(group, member!);
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    return Task.FromResult(GroupSyncResult.Failed(GroupError.RebalanceInProgress));
                case GroupState.Stable:
                    return Task.FromResult(new GroupSyncResult(GroupError.None, group.ProtocolType, group.ProtocolName, member!.Assignment));
                case GroupState.CompletingRebalance:
                    member!.PendingSync?.TrySetResult(GroupSyncResult.Failed(GroupError.RebalanceInProgress));
                    member.PendingSync = new TaskCompletionSource<GroupSyncResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    // Like a member waiting to join, one waiting for the leader's assignment is kept alive meanwhile.
                    member.SessionTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    var synced = member.PendingSync.Task;
                    if (member.MemberId == group.LeaderId)
                    {
                        CompleteSync(group, request.Assignments);
                    }
                    return synced;
                default:
                    return Task.FromResult(GroupSyncResult.Failed(GroupError.UnknownMemberId));
            }
        }
    }

    private void CompleteSync(ConsumerGroup group, IReadOnlyDictionary<string, byte[]> assignments)
    {
        CancelPhaseTimer(group);
        group.State = GroupState.Stable;
        foreach (var member in group.Members)
        {
            member.Assignment = assignments.TryGetValue(member.MemberId, out var assignment) ? assignment : [];
            if (member.PendingSync is { } pending)
            {
                pending.TrySetResult(new GroupSyncResult(GroupError.None, group.ProtocolType, group.ProtocolName, member.Assignment));
                member.PendingSync = null;
                ResetSession(group, member);
            }
        }
        _logger.LogDebug("Group {Group} is stable at generation {Generation} with {Count} members",
            group.GroupId, group.GenerationId, group.Members.Count);
    }

    // ---- Heartbeat and leave ----

    public GroupError Heartbeat(string groupId, string memberId, string? groupInstanceId, int generationId)
    {
        if (!IsAvailable)
        {
            return GroupError.CoordinatorNotAvailable;
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return GroupError.UnknownMemberId;
        }
        lock (group.Gate)
        {
            var error = ValidateMember(group, memberId, groupInstanceId, generationId, out var member);
            if (error != GroupError.None)
            {
                return error;
            }
            ResetSession(group, member!);
            return group.State switch
            {
                GroupState.PreparingRebalance => GroupError.RebalanceInProgress,
                GroupState.CompletingRebalance or GroupState.Stable => GroupError.None,
                _ => GroupError.UnknownMemberId,
            };
        }
    }

    /// <summary>Removes the named members; the answer has one error per member, in order, and the group's own error first.</summary>
    public (GroupError GroupError, IReadOnlyList<GroupError> MemberErrors) Leave(string groupId, IReadOnlyList<LeavingMember> members)
    {
        if (!IsAvailable)
        {
            return (GroupError.CoordinatorNotAvailable, []);
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return (GroupError.None, [.. members.Select(_ => GroupError.UnknownMemberId)]);
        }
        lock (group.Gate)
        {
            var errors = new List<GroupError>(members.Count);
            var removed = false;
            foreach (var leaving in members)
            {
                GroupMember? member;
                if (leaving.GroupInstanceId is { } instanceId)
                {
                    member = group.FindInstance(instanceId);
                    if (member is null)
                    {
                        errors.Add(GroupError.UnknownMemberId);
                        continue;
                    }
                    if (leaving.MemberId.Length > 0 && leaving.MemberId != member.MemberId)
                    {
                        errors.Add(GroupError.FencedInstanceId);
                        continue;
                    }
                }
                else
                {
                    if (group.PendingMemberIds.Remove(leaving.MemberId))
                    {
                        errors.Add(GroupError.None);
                        continue;
                    }
                    member = group.Find(leaving.MemberId);
                    if (member is null)
                    {
                        errors.Add(GroupError.UnknownMemberId);
                        continue;
                    }
                }
                member.PendingJoin?.TrySetResult(GroupJoinResult.Failed(GroupError.UnknownMemberId, member.MemberId));
                member.PendingJoin = null;
                RemoveMember(group, member);
                removed = true;
                errors.Add(GroupError.None);
            }
            if (removed)
            {
                OnMembershipShrunk(group, "members left");
            }
            return (GroupError.None, errors);
        }
    }

    private void OnSessionExpired(ConsumerGroup group, GroupMember member)
    {
        lock (group.Gate)
        {
            if (!group.Members.Contains(member) || member.PendingJoin is not null || member.PendingSync is not null)
            {
                return;
            }
            _logger.LogInformation("Member {Member} of group {Group} expired after {Timeout}",
                member.MemberId, group.GroupId, member.SessionTimeout);
            RemoveMember(group, member);
            OnMembershipShrunk(group, $"member {member.MemberId}'s session expired");
        }
    }

    private void OnMembershipShrunk(ConsumerGroup group, string reason)
    {
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance when group.Members.Count == 0:
                group.GenerationId++;
                BecomeEmpty(group);
                break;
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group, reason);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    private void BecomeEmpty(ConsumerGroup group)
    {
        CancelPhaseTimer(group);
        group.State = GroupState.Empty;
        group.LeaderId = null;
        group.ProtocolName = null;
        group.EmptySince = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        RecordState(group);
    }

    /// <summary>
    /// Records whether (since when) the group is empty in the offsets log, so retention counts from the same moment
    /// after a restart. Appended under the group's lock, so records land in the order of the transitions; nobody
    /// waits for durability (a lost record only makes retention count from the restart instead).
    /// </summary>
    private void RecordState(ConsumerGroup group)
    {
        group.StateRecorded = true;
        Offsets.RecordGroupStateAsync(group.GroupId, new StoredGroupState(group.ProtocolType, group.EmptySince))
            .ContinueWith(static (t, state) => ((ILogger)state!).LogWarning(t.Exception, "Could not record a group's state"),
                _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private static void RemoveMember(ConsumerGroup group, GroupMember member)
    {
        member.SessionTimer?.Dispose();
        member.SessionTimer = null;
        member.PendingSync?.TrySetResult(GroupSyncResult.Failed(GroupError.UnknownMemberId));
        member.PendingSync = null;
        group.Members.Remove(member);
        if (group.LeaderId == member.MemberId)
        {
            group.LeaderId = null;
        }
    }

    private static GroupError ValidateMember(ConsumerGroup group, string memberId, string? instanceId, int generationId,
        out GroupMember? member)
    {
        member = null;
        if (group.State == GroupState.Dead)
        {
            return GroupError.CoordinatorNotAvailable;
        }
        if (instanceId is not null)
        {
            var owner = group.FindInstance(instanceId);
            if (owner is null)
            {
                return GroupError.UnknownMemberId;
            }
            if (owner.MemberId != memberId)
            {
                return GroupError.FencedInstanceId;
            }
        }
        member = group.Find(memberId);
        if (member is null)
        {
            return GroupError.UnknownMemberId;
        }
        return generationId != group.GenerationId ? GroupError.IllegalGeneration : GroupError.None;
    }

    private void ResetSession(ConsumerGroup group, GroupMember member)
    {
        if (member.SessionTimer is null)
        {
            member.SessionTimer = _clock.CreateTimer(
                static state =>
                {
                    var (coordinator, g, m) = ((GroupCoordinator, ConsumerGroup, GroupMember))state!;
                    coordinator.OnSessionExpired(g, m);
                },
                (this, group, member), member.SessionTimeout, Timeout.InfiniteTimeSpan);
        }
        else
        {
            member.SessionTimer.Change(member.SessionTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void ArmPhaseTimer(ConsumerGroup group, TimeSpan due, Action<ConsumerGroup> onElapsed)
    {
        group.PhaseTimer?.Dispose();
        var sequence = ++group.PhaseSequence;
        group.PhaseTimer = _clock.CreateTimer(
            static state =>
            {
                var (g, s, callback) = ((ConsumerGroup, long, Action<ConsumerGroup>))state!;
                lock (g.Gate)
                {
                    if (g.PhaseSequence == s)
                    {
                        callback(g);
                    }
                }
            },
            (group, sequence, onElapsed), due, Timeout.InfiniteTimeSpan);
    }

    private static void CancelPhaseTimer(ConsumerGroup group)
    {
        group.PhaseSequence++;
        group.PhaseTimer?.Dispose();
        group.PhaseTimer = null;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // ---- Offsets ----

    /// <summary>
    /// Checks a commit against the group (Kafka's ClassicGroup.validateOffsetCommit): a commit with generation -1 and
    /// no member is a "simple" commit, accepted for a group without members; otherwise the member must be current.
    /// </summary>
    public GroupError ValidateCommit(string groupId, string memberId, string? groupInstanceId, int generationId)
    {
        if (!IsAvailable)
        {
            return GroupError.CoordinatorNotAvailable;
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return generationId < 0 ? GroupError.None : GroupError.IllegalGeneration;
        }
        lock (group.Gate)
        {
            if (group.State == GroupState.Dead)
            {
                return GroupError.CoordinatorNotAvailable;
            }
            if (generationId >= 0 || memberId.Length > 0 || groupInstanceId is not null)
            {
                var error = ValidateMember(group, memberId, groupInstanceId, generationId, out var member);
                if (error != GroupError.None)
                {
                    return error;
                }
                ResetSession(group, member!);
            }
            else if (group.State != GroupState.Empty)
            {
                return GroupError.UnknownMemberId;
            }
            return group.State == GroupState.CompletingRebalance ? GroupError.RebalanceInProgress : GroupError.None;
        }
    }

    /// <summary>Validates and stores a commit; per partition errors are all the validation's error when it fails.</summary>
    public async Task<GroupError> CommitAsync(string groupId, string memberId, string? groupInstanceId, int generationId,
        IReadOnlyList<OffsetChange> offsets)
    {
        var error = ValidateCommit(groupId, memberId, groupInstanceId, generationId);
        if (error != GroupError.None)
        {
            return error;
        }
        try
        {
            await Offsets.WriteAsync(groupId, offsets);
            return GroupError.None;
        }
        catch (Exception e) when (e is IOException or Storage.Log.StorageException)
        {
            _logger.LogWarning(e, "Could not store offsets of group {Group}", groupId);
            return GroupError.StorageUnavailable;
        }
    }

    /// <summary>True when the metadata string is within <c>offset.metadata.max.bytes</c>.</summary>
    public bool IsMetadataAcceptable(string? metadata) =>
        metadata is null || System.Text.Encoding.UTF8.GetByteCount(metadata) <= Options.MaxOffsetMetadataBytes;

    // ---- Admin ----

    public GroupState StateOf(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return Offsets.GetAll(groupId).Count > 0 ? GroupState.Empty : GroupState.Dead;
        }
        lock (group.Gate)
        {
            return group.State;
        }
    }

    /// <summary>Every known group, including those known only by committed offsets (as Kafka lists "simple" groups).</summary>
    public IReadOnlyList<GroupListing> List()
    {
        var listings = new Dictionary<string, GroupListing>(StringComparer.Ordinal);
        foreach (var groupId in Offsets.GroupIds)
        {
            listings[groupId] = new GroupListing(groupId, StoredProtocolType(groupId), GroupState.Empty);
        }
        foreach (var group in _groups.Values)
        {
            lock (group.Gate)
            {
                if (group.State != GroupState.Dead)
                {
                    listings[group.GroupId] = new GroupListing(group.GroupId, group.ProtocolType, group.State);
                }
            }
        }
        return [.. listings.Values.OrderBy(l => l.GroupId, StringComparer.Ordinal)];
    }

    public GroupDescription Describe(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            var state = StateOf(groupId);
            return new GroupDescription(groupId, state, state == GroupState.Dead ? "" : StoredProtocolType(groupId), "", []);
        }
        lock (group.Gate)
        {
            var members = group.Members.Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId,
                m.ClientHost, m.MetadataFor(group.ProtocolName), m.Assignment)).ToList();
            return new GroupDescription(groupId, group.State, group.ProtocolType, group.ProtocolName ?? "", members);
        }
    }

    /// <summary>The protocol type a group had before a restart ("" for groups of simple commits).</summary>
    private string StoredProtocolType(string groupId) => Offsets.GetGroupState(groupId)?.ProtocolType ?? "";

    /// <summary>Deletes an empty group and its committed offsets; a group with members is refused.</summary>
    public async Task<GroupError> DeleteAsync(string groupId)
    {
        if (!IsAvailable)
        {
            return GroupError.CoordinatorNotAvailable;
        }
        if (_groups.TryGetValue(groupId, out var group))
        {
            lock (group.Gate)
            {
                if (group.State != GroupState.Empty && group.State != GroupState.Dead)
                {
                    return GroupError.NonEmptyGroup;
                }
                CancelPhaseTimer(group);
                group.State = GroupState.Dead;
            }
            _groups.TryRemove(new KeyValuePair<string, ConsumerGroup>(groupId, group));
        }
        else if (Offsets.GetAll(groupId).Count == 0)
        {
            return GroupError.GroupIdNotFound;
        }
        await Offsets.DeleteGroupAsync(groupId);
        return GroupError.None;
    }

    public void Dispose()
    {
        _retentionTimer?.Dispose();
        foreach (var group in _groups.Values)
        {
            lock (group.Gate)
            {
                CancelPhaseTimer(group);
                foreach (var member in group.Members)
                {
                    member.SessionTimer?.Dispose();
                    member.SessionTimer = null;
                }
            }
        }
    }
}
