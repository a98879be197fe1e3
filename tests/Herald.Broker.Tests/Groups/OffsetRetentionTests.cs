using Herald.Broker.Groups;

namespace Herald.Broker.Tests.Groups;

/// <summary>offsets.retention.minutes as Kafka 2.1+ applies it (KIP-211), with a manual clock and real storage.</summary>
public sealed class OffsetRetentionTests : IAsyncLifetime
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private GroupsFixture _f = null!;

    public Task InitializeAsync()
    {
        _f = GroupsFixture.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    private GroupCoordinator Groups => _f.Coordinator;

    private Task<GroupError> Commit(string group, string member, int generation, int partition, long offset) =>
        Groups.CommitAsync(group, member, null, generation,
            [new OffsetChange("t", partition, new CommittedOffset(offset, -1, null, _f.Clock.GetUtcNow().ToUnixTimeMilliseconds()))]);

    [Fact]
    public async Task Simple_commits_expire_one_by_one_counted_from_each_commit_and_stay_expired_after_a_restart()
    {
        await Commit("simple", "", -1, 0, 10);
        _f.Clock.Advance(40 * Minute);
        await Commit("simple", "", -1, 1, 20);
        _f.Clock.Advance(21 * Minute);

        Assert.Equal(1, await Groups.ExpireOffsetsAsync());
        Assert.Null(Groups.Offsets.Get("simple", "t", 0));
        Assert.Equal(20, Groups.Offsets.Get("simple", "t", 1)?.Offset);

        await _f.ReopenAsync();
        Assert.Null(_f.Coordinator.Offsets.Get("simple", "t", 0));
        Assert.Equal(20, _f.Coordinator.Offsets.Get("simple", "t", 1)?.Offset);
    }

    [Fact]
    public async Task A_groups_offsets_are_kept_while_it_has_members_and_expire_together_once_it_has_been_empty_long_enough()
    {
        var member = (await _f.FormStableGroup(1))[0].MemberId;
        // Commits made long ago (the commit time is the caller's): with a member present they are kept regardless.
        var longAgo = _f.Clock.GetUtcNow().ToUnixTimeMilliseconds() - 2 * (long)GroupsFixture.OffsetsRetention.TotalMilliseconds;
        await Groups.CommitAsync("g", member, null, 1,
        [
            new OffsetChange("t", 0, new CommittedOffset(5, -1, null, longAgo)),
            new OffsetChange("t", 1, new CommittedOffset(6, -1, null, longAgo)),
        ]);
        Assert.Equal(0, await Groups.ExpireOffsetsAsync());

        Groups.Leave("g", [new LeavingMember(member, null)]);
        Assert.Equal(GroupState.Empty, Groups.StateOf("g"));
        _f.Clock.Advance(GroupsFixture.OffsetsRetention - Minute);
        Assert.Equal(0, await Groups.ExpireOffsetsAsync());

        _f.Clock.Advance(2 * Minute);
        Assert.Equal(2, await Groups.ExpireOffsetsAsync());
        Assert.Empty(Groups.Offsets.GetAll("g"));
        Assert.DoesNotContain(Groups.List(), l => l.GroupId == "g");
        Assert.Equal(GroupState.Dead, Groups.StateOf("g"));
    }

    [Fact]
    public async Task After_a_restart_retention_still_counts_from_when_the_group_became_empty()
    {
        var member = (await _f.FormStableGroup(1))[0].MemberId;
        await Commit("g", member, 1, 0, 5);
        Groups.Leave("g", [new LeavingMember(member, null)]);
        _f.Clock.Advance(40 * Minute);

        await _f.ReopenAsync();
        _f.Clock.Advance(21 * Minute);

        Assert.Equal(1, await _f.Coordinator.ExpireOffsetsAsync());
        Assert.Empty(_f.Coordinator.Offsets.GetAll("g"));
        await _f.ReopenAsync();
        Assert.Empty(_f.Coordinator.Offsets.GetAll("g"));
        Assert.Null(_f.Coordinator.Offsets.GetGroupState("g"));
    }

    [Fact]
    public async Task A_group_whose_members_were_lost_with_a_restart_counts_from_the_restart()
    {
        var member = (await _f.FormStableGroup(1))[0].MemberId;
        await Commit("g", member, 1, 0, 5);
        _f.Clock.Advance(TimeSpan.FromSeconds(5));

        await _f.ReopenAsync();
        _f.Clock.Advance(59 * Minute);
        Assert.Equal(0, await _f.Coordinator.ExpireOffsetsAsync());
        _f.Clock.Advance(2 * Minute);
        Assert.Equal(1, await _f.Coordinator.ExpireOffsetsAsync());
    }

    [Fact]
    public async Task An_expiry_based_on_a_stale_read_does_not_delete_a_commit_made_in_between()
    {
        await Commit("simple", "", -1, 0, 10);
        var version = Groups.Offsets.StableVersion("simple");
        Assert.NotNull(version);

        await Commit("simple", "", -1, 0, 11);
        var written = await Groups.Offsets.WriteIfUnchangedAsync("simple", [new OffsetChange("t", 0, null)], version);

        Assert.False(written);
        Assert.Equal(11, Groups.Offsets.Get("simple", "t", 0)?.Offset);
        Assert.True(await Groups.Offsets.WriteIfUnchangedAsync("simple", [new OffsetChange("t", 0, null)], Groups.Offsets.StableVersion("simple")));
        Assert.Null(Groups.Offsets.Get("simple", "t", 0));
    }

    [Fact]
    public async Task An_empty_group_that_never_committed_is_forgotten_at_the_next_check()
    {
        var member = (await _f.FormStableGroup(1))[0].MemberId;
        Groups.Leave("g", [new LeavingMember(member, null)]);
        Assert.Contains(Groups.List(), l => l.GroupId == "g");

        Assert.Equal(0, await Groups.ExpireOffsetsAsync());
        Assert.DoesNotContain(Groups.List(), l => l.GroupId == "g");
    }

    [Fact]
    public async Task After_a_restart_a_group_known_by_its_offsets_is_listed_with_its_protocol_type()
    {
        var member = (await _f.FormStableGroup(1))[0].MemberId;
        await Commit("g", member, 1, 0, 5);
        await Commit("simple", "", -1, 0, 5);

        await _f.ReopenAsync();

        Assert.Equal([("g", "consumer"), ("simple", "")], _f.Coordinator.List().Select(l => (l.GroupId, l.ProtocolType)));
        Assert.Equal("consumer", _f.Coordinator.Describe("g").ProtocolType);
    }

    [Fact]
    public async Task OffsetDelete_refuses_subscribed_topics_of_a_group_with_members_and_deletes_the_rest_durably()
    {
        var subscriptions = new TopicListFormat();
        var joins = new[] { _f.Join("", clientId: "a", metadata: TopicListFormat.Encode("t")) };
        _f.Clock.Advance(GroupsFixture.InitialDelay);
        var joined = await Task.WhenAll(joins);
        await _f.Sync(joined[0].MemberId, 1, new() { [joined[0].MemberId] = [] });
        await Groups.CommitAsync("g", joined[0].MemberId, null, 1,
        [
            new OffsetChange("t", 0, new CommittedOffset(1, -1, null, 0)),
            new OffsetChange("old", 0, new CommittedOffset(2, -1, null, 0)),
        ]);

        var (error, partitions) = await Groups.DeleteOffsetsAsync("g", [new("t", 0), new("old", 0)], subscriptions);
        Assert.Equal(GroupError.None, error);
        Assert.Equal([GroupError.GroupSubscribedToTopic, GroupError.None], partitions);
        Assert.Equal(GroupError.GroupIdNotFound, (await Groups.DeleteOffsetsAsync("nobody", [new("t", 0)], subscriptions)).GroupError);

        await _f.ReopenAsync();
        Assert.Equal(1, _f.Coordinator.Offsets.Get("g", "t", 0)?.Offset);
        Assert.Null(_f.Coordinator.Offsets.Get("g", "old", 0));
    }

    [Fact]
    public async Task OffsetDelete_of_a_group_with_members_of_an_unknown_protocol_type_is_refused()
    {
        await _f.FormStableGroup(1);
        var (error, _) = await Groups.DeleteOffsetsAsync("g", [new("t", 0)], new TopicListFormat { ProtocolType = "connect" });
        Assert.Equal(GroupError.NonEmptyGroup, error);
    }

    /// <summary>A stand-in subscription format: the metadata is topic names separated by commas.</summary>
    private sealed class TopicListFormat : ISubscriptionFormat
    {
        public string ProtocolType { get; init; } = "consumer";

        public static byte[] Encode(params string[] topics) => System.Text.Encoding.UTF8.GetBytes(string.Join(',', topics));

        public bool Understands(string protocolType) => protocolType == ProtocolType;

        public IReadOnlyCollection<string>? TopicsOf(byte[] metadata) => System.Text.Encoding.UTF8.GetString(metadata).Split(',');
    }
}
