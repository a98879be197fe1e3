using System.Text;
using Herald.Broker.Groups;

namespace Herald.Broker.Tests.Groups;

public sealed class GroupCoordinatorTests : IAsyncLifetime
{
    private GroupsFixture _f = null!;

    public Task InitializeAsync()
    {
        _f = GroupsFixture.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    private GroupCoordinator Groups => _f.Coordinator;

    [Fact]
    public async Task A_first_join_waits_for_the_initial_delay_then_its_member_leads_generation_one()
    {
        var join = _f.Join("", clientId: "solo");
        Assert.Equal(GroupState.PreparingRebalance, Groups.StateOf("g"));

        _f.Clock.Advance(GroupsFixture.InitialDelay - TimeSpan.FromMilliseconds(1));
        Assert.False(join.IsCompleted);
        _f.Clock.Advance(TimeSpan.FromMilliseconds(1));

        var result = await join;
        Assert.Equal(GroupError.None, result.Error);
        Assert.Equal(1, result.GenerationId);
        Assert.Equal("range", result.ProtocolName);
        Assert.Equal("consumer", result.ProtocolType);
        Assert.StartsWith("solo-", result.MemberId);
        Assert.Equal(result.MemberId, result.LeaderId);
        Assert.Single(result.Members);
        Assert.Equal(GroupState.CompletingRebalance, Groups.StateOf("g"));
    }

    [Fact]
    public async Task A_new_member_that_must_know_its_id_gets_one_with_MemberIdRequired_and_joins_with_it()
    {
        var first = await _f.Join("", clientId: "k", requireKnownMemberId: true);
        Assert.Equal(GroupError.MemberIdRequired, first.Error);
        Assert.StartsWith("k-", first.MemberId);
        Assert.Equal(GroupState.Empty, Groups.StateOf("g"));

        var second = _f.Join(first.MemberId, requireKnownMemberId: true);
        _f.Clock.Advance(GroupsFixture.InitialDelay);
        Assert.Equal(GroupError.None, (await second).Error);
        Assert.Equal(first.MemberId, (await second).MemberId);
    }

    [Fact]
    public async Task An_unknown_member_id_is_refused()
    {
        await _f.FormGroup(1);
        Assert.Equal(GroupError.UnknownMemberId, (await _f.Join("made-up")).Error);
    }

    [Fact]
    public async Task Members_joining_during_the_initial_delay_extend_it_and_share_one_generation_with_one_leader()
    {
        var a = _f.Join("", clientId: "a");
        _f.Clock.Advance(TimeSpan.FromSeconds(2));
        var b = _f.Join("", clientId: "b");
        _f.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(a.IsCompleted, "a member arrived during the delay, so it is extended");
        _f.Clock.Advance(GroupsFixture.InitialDelay);

        var results = await Task.WhenAll(a, b);
        Assert.All(results, r => Assert.Equal(1, r.GenerationId));
        Assert.Equal(results[0].MemberId, results[0].LeaderId);
        Assert.Equal(results[0].MemberId, results[1].LeaderId);
        Assert.Equal(2, results[0].Members.Count);
        Assert.Empty(results[1].Members);
    }

    [Fact]
    public async Task The_chosen_protocol_is_supported_by_every_member()
    {
        var a = _f.Join("", protocols: ["roundrobin", "range"]);
        var b = _f.Join("", protocols: ["cooperative-sticky", "range"]);
        _f.Clock.Advance(GroupsFixture.InitialDelay * 2);
        Assert.Equal("range", (await a).ProtocolName);
        Assert.Equal("range", (await b).ProtocolName);
    }

    [Fact]
    public async Task A_join_sharing_no_protocol_with_the_group_is_refused()
    {
        _ = _f.Join("", protocols: ["range"]);
        var other = await _f.Join("", protocols: ["roundrobin"]);
        Assert.Equal(GroupError.InconsistentGroupProtocol, other.Error);
    }

    [Fact]
    public async Task Joins_with_an_empty_group_id_or_a_session_timeout_out_of_bounds_are_refused()
    {
        Assert.Equal(GroupError.InvalidGroupId, (await _f.Join("", group: "")).Error);
        var tooShort = await Groups.JoinAsync(new GroupJoinRequest("g", "", null, "c", "h", TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(30), "consumer", [new GroupProtocol("range", [])], false));
        Assert.Equal(GroupError.InvalidSessionTimeout, tooShort.Error);
    }

    [Fact]
    public async Task The_leaders_sync_hands_each_member_its_assignment_and_makes_the_group_stable()
    {
        var joined = await _f.FormGroup(2);
        var leader = joined.Single(j => j.Members.Count == 2);
        var follower = joined.Single(j => j != leader);

        var followerSync = _f.Sync(follower.MemberId, follower.GenerationId);
        Assert.False(followerSync.IsCompleted);
        var leaderSync = await _f.Sync(leader.MemberId, leader.GenerationId,
            new() { [leader.MemberId] = [1], [follower.MemberId] = [2] });

        Assert.Equal([1], leaderSync.Assignment);
        Assert.Equal([2], (await followerSync).Assignment);
        Assert.Equal("range", (await followerSync).ProtocolName);
        Assert.Equal(GroupState.Stable, Groups.StateOf("g"));
        Assert.Equal([2], (await _f.Sync(follower.MemberId, follower.GenerationId)).Assignment);
    }

    [Fact]
    public async Task A_sync_with_a_wrong_generation_or_an_unknown_member_is_refused()
    {
        var joined = await _f.FormGroup(1);
        Assert.Equal(GroupError.IllegalGeneration, (await _f.Sync(joined[0].MemberId, 7)).Error);
        Assert.Equal(GroupError.UnknownMemberId, (await _f.Sync("nobody", 1)).Error);
        Assert.Equal(GroupError.UnknownMemberId, (await _f.Sync("nobody", 1, group: "unknown")).Error);
    }

    [Fact]
    public async Task Heartbeats_say_when_to_rejoin_and_refuse_strangers_and_old_generations()
    {
        var joined = await _f.FormStableGroup(1);
        var member = joined[0].MemberId;
        Assert.Equal(GroupError.None, Groups.Heartbeat("g", member, null, 1));
        Assert.Equal(GroupError.IllegalGeneration, Groups.Heartbeat("g", member, null, 0));
        Assert.Equal(GroupError.UnknownMemberId, Groups.Heartbeat("g", "nobody", null, 1));
        Assert.Equal(GroupError.UnknownMemberId, Groups.Heartbeat("elsewhere", member, null, 1));

        _ = _f.Join("", clientId: "newcomer");
        Assert.Equal(GroupState.PreparingRebalance, Groups.StateOf("g"));
        Assert.Equal(GroupError.RebalanceInProgress, Groups.Heartbeat("g", member, null, 1));
    }

    [Fact]
    public async Task A_member_whose_session_expires_is_removed_and_the_others_rebalance()
    {
        var joined = await _f.FormStableGroup(2);
        var survivor = joined[0].MemberId;
        var silent = joined[1].MemberId;

        _f.Clock.Advance(GroupsFixture.SessionTimeout / 2);
        Assert.Equal(GroupError.None, Groups.Heartbeat("g", survivor, null, 1));
        Assert.Equal(GroupState.Stable, Groups.StateOf("g"));
        _f.Clock.Advance(GroupsFixture.SessionTimeout / 2);

        Assert.Equal(GroupState.PreparingRebalance, Groups.StateOf("g"));
        Assert.Equal(GroupError.RebalanceInProgress, Groups.Heartbeat("g", survivor, null, 1));
        Assert.Equal(GroupError.UnknownMemberId, Groups.Heartbeat("g", silent, null, 1));

        var rejoin = await _f.Join(survivor);
        Assert.Equal(2, rejoin.GenerationId);
        Assert.Single(rejoin.Members);
    }

    [Fact]
    public async Task A_member_that_does_not_rejoin_within_the_rebalance_timeout_is_left_out_of_the_next_generation()
    {
        var joined = await _f.FormStableGroup(2);
        var newcomer = _f.Join("", clientId: "new");
        var rejoin = _f.Join(joined[0].MemberId);
        // The other member keeps heartbeating but never rejoins.
        for (var elapsed = TimeSpan.Zero; elapsed < GroupsFixture.RebalanceTimeout; elapsed += TimeSpan.FromSeconds(5))
        {
            Assert.False(rejoin.IsCompleted);
            Groups.Heartbeat("g", joined[1].MemberId, null, 1);
            _f.Clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(2, (await rejoin).GenerationId);
        Assert.Equal(2, (await newcomer).GenerationId);
        Assert.Equal(GroupError.UnknownMemberId, Groups.Heartbeat("g", joined[1].MemberId, null, 2));
        Assert.Equal(2, Groups.Describe("g").Members.Count);
    }

    [Fact]
    public async Task A_leader_that_never_syncs_is_dropped_after_the_rebalance_timeout_and_the_group_rebalances()
    {
        var joined = await _f.FormGroup(2);
        var follower = joined.Single(j => j.Members.Count == 0);
        var leader = joined.Single(j => j.Members.Count > 0);
        var waiting = _f.Sync(follower.MemberId, 1);

        // The leader stays alive (it heartbeats) but never sends the assignment.
        for (var elapsed = TimeSpan.Zero; elapsed < GroupsFixture.RebalanceTimeout; elapsed += TimeSpan.FromSeconds(5))
        {
            Assert.False(waiting.IsCompleted);
            Assert.Equal(GroupError.None, Groups.Heartbeat("g", leader.MemberId, null, 1));
            _f.Clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(GroupError.RebalanceInProgress, (await waiting).Error);
        Assert.Equal(GroupState.PreparingRebalance, Groups.StateOf("g"));
        var rejoin = await _f.Join(follower.MemberId);
        Assert.Equal(follower.MemberId, rejoin.LeaderId);
        Assert.Equal(2, rejoin.GenerationId);
    }

    [Fact]
    public async Task A_leaving_member_makes_the_others_rebalance_and_the_last_one_leaving_empties_the_group()
    {
        var joined = await _f.FormStableGroup(2);
        var (error, errors) = Groups.Leave("g", [new LeavingMember(joined[1].MemberId, null), new LeavingMember("ghost", null)]);
        Assert.Equal(GroupError.None, error);
        Assert.Equal([GroupError.None, GroupError.UnknownMemberId], errors);
        Assert.Equal(GroupState.PreparingRebalance, Groups.StateOf("g"));

        var rejoin = await _f.Join(joined[0].MemberId);
        Assert.Equal(GroupState.CompletingRebalance, Groups.StateOf("g"));
        Groups.Leave("g", [new LeavingMember(rejoin.MemberId, null)]);
        Assert.Equal(GroupState.Empty, Groups.StateOf("g"));
    }

    [Fact]
    public async Task A_static_member_restarting_with_the_same_subscription_keeps_its_assignment_and_fences_its_old_id()
    {
        var join = _f.Join("", instanceId: "pod-1");
        _f.Clock.Advance(GroupsFixture.InitialDelay);
        var first = await join;
        await _f.Sync(first.MemberId, 1, new() { [first.MemberId] = [9] }, instanceId: "pod-1");

        var restarted = await _f.Join("", instanceId: "pod-1");

        Assert.Equal(GroupError.None, restarted.Error);
        Assert.NotEqual(first.MemberId, restarted.MemberId);
        Assert.Equal(1, restarted.GenerationId);
        Assert.Equal(GroupState.Stable, Groups.StateOf("g"));
        Assert.Equal([9], (await _f.Sync(restarted.MemberId, 1, instanceId: "pod-1")).Assignment);
        Assert.Equal(GroupError.FencedInstanceId, Groups.Heartbeat("g", first.MemberId, "pod-1", 1));
    }

    [Fact]
    public async Task Commits_follow_kafkas_rules_for_simple_commits_members_and_generations()
    {
        Assert.Equal(GroupError.None, Groups.ValidateCommit("simple", "", null, -1));
        Assert.Equal(GroupError.IllegalGeneration, Groups.ValidateCommit("nobody-home", "m", null, 3));

        var joined = await _f.FormGroup(1);
        var member = joined[0].MemberId;
        Assert.Equal(GroupError.RebalanceInProgress, Groups.ValidateCommit("g", member, null, 1));
        await _f.Sync(member, 1, new() { [member] = [] });
        Assert.Equal(GroupError.None, Groups.ValidateCommit("g", member, null, 1));
        Assert.Equal(GroupError.IllegalGeneration, Groups.ValidateCommit("g", member, null, 0));
        Assert.Equal(GroupError.UnknownMemberId, Groups.ValidateCommit("g", "", null, -1));
        Assert.Equal(GroupError.UnknownMemberId, Groups.ValidateCommit("g", "stranger", null, 1));
    }

    [Fact]
    public async Task Committed_offsets_are_readable_once_the_commit_completes_and_survive_a_restart()
    {
        var error = await Groups.CommitAsync("g", "", null, -1,
        [
            new OffsetChange("orders", 0, new CommittedOffset(42, -1, "meta", 1000)),
            new OffsetChange("orders", 1, new CommittedOffset(7, 3, null, 1000)),
        ]);
        Assert.Equal(GroupError.None, error);
        await Groups.CommitAsync("g", "", null, -1, [new OffsetChange("orders", 0, new CommittedOffset(43, -1, "later", 2000))]);
        await Groups.Offsets.WriteAsync("g", [new OffsetChange("orders", 1, null)]);

        await _f.ReopenAsync();

        Assert.Equal(new CommittedOffset(43, -1, "later", 2000), _f.Coordinator.Offsets.Get("g", "orders", 0));
        Assert.Null(_f.Coordinator.Offsets.Get("g", "orders", 1));
        Assert.Equal(["g"], _f.Coordinator.Offsets.GroupIds);
    }

    [Fact]
    public async Task Deleting_a_group_needs_it_empty_and_removes_its_offsets()
    {
        var joined = await _f.FormStableGroup(1);
        await Groups.CommitAsync("g", joined[0].MemberId, null, 1, [new OffsetChange("t", 0, new CommittedOffset(5, -1, "", 0))]);

        Assert.Equal(GroupError.NonEmptyGroup, await Groups.DeleteAsync("g"));
        Groups.Leave("g", [new LeavingMember(joined[0].MemberId, null)]);
        Assert.Equal(GroupError.None, await Groups.DeleteAsync("g"));

        Assert.Null(Groups.Offsets.Get("g", "t", 0));
        Assert.Equal(GroupState.Dead, Groups.StateOf("g"));
        Assert.Equal(GroupError.GroupIdNotFound, await Groups.DeleteAsync("g"));
    }

    [Fact]
    public async Task Listing_and_describing_show_states_protocols_and_members()
    {
        await _f.FormStableGroup(2, group: "active");
        await Groups.CommitAsync("simple", "", null, -1, [new OffsetChange("t", 0, new CommittedOffset(1, -1, null, 0))]);

        var listed = Groups.List();
        Assert.Equal(["active", "simple"], listed.Select(l => l.GroupId));
        Assert.Equal(GroupState.Stable, listed[0].State);
        Assert.Equal("consumer", listed[0].ProtocolType);
        Assert.Equal(GroupState.Empty, listed[1].State);

        var described = Groups.Describe("active");
        Assert.Equal("range", described.ProtocolName);
        Assert.Equal(2, described.Members.Count);
        Assert.All(described.Members, m => Assert.Equal(m.MemberId, Encoding.UTF8.GetString(m.Assignment)));
        Assert.Equal(GroupState.Dead, Groups.Describe("never").State);
    }
}
