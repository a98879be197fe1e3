using System.Diagnostics;
using Herald.Broker.Groups;

namespace Herald.Bench.Groups;

/// <summary>
/// Plays the members of consumer groups against a <see cref="GroupCoordinator"/> as fast as clients could: every
/// member joins, the leader assigns, everyone syncs, and members told to rejoin do so at once. Fails loudly on any
/// error so a benchmark never reports a figure for a broken protocol run.
/// </summary>
internal sealed class GroupDriver(GroupCoordinator coordinator)
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RebalanceTimeout = TimeSpan.FromSeconds(60);
    private static readonly byte[] Subscription = [0, 0, 0, 0, 0, 1, 0, 5, (byte)'b', (byte)'e', (byte)'n', (byte)'c', (byte)'h', 0, 0, 0, 0];

    public GroupCoordinator Coordinator => coordinator;

    /// <summary>N new members join a new group at once; returns the time until all of them hold their assignment.</summary>
    public async Task<TimeSpan> FormAsync(string groupId, int members)
    {
        var started = Stopwatch.StartNew();
        var joins = Enumerable.Range(0, members).Select(i => Join(groupId, "", $"m{i}")).ToArray();
        await SyncAllAsync(groupId, await Task.WhenAll(joins));
        return started.Elapsed;
    }

    /// <summary>One member joins a Stable group of N-1; returns the time until all N hold their assignment.</summary>
    public async Task<TimeSpan> JoinStableAsync(string groupId, int members)
    {
        var existing = await FormAndSyncAsync(groupId, members - 1);
        var started = Stopwatch.StartNew();
        var newcomer = Join(groupId, "", "newcomer");
        var rejoins = new List<Task<GroupJoinResult>> { newcomer };
        foreach (var member in existing)
        {
            var heard = coordinator.Heartbeat(groupId, member.MemberId, null, member.GenerationId);
            if (heard != GroupError.RebalanceInProgress)
            {
                throw new InvalidOperationException($"heartbeat answered {heard}, not RebalanceInProgress");
            }
            rejoins.Add(Join(groupId, member.MemberId, "old"));
        }
        await SyncAllAsync(groupId, await Task.WhenAll(rejoins));
        return started.Elapsed;
    }

    /// <summary>A Stable group of one member, for commits: its id and generation.</summary>
    public async Task<(string GroupId, string MemberId, int Generation)> StableGroupForCommitsAsync(string groupId)
    {
        var member = (await FormAndSyncAsync(groupId, 1))[0];
        return (groupId, member.MemberId, member.GenerationId);
    }

    private async Task<GroupJoinResult[]> FormAndSyncAsync(string groupId, int members)
    {
        var joined = await Task.WhenAll(Enumerable.Range(0, members).Select(i => Join(groupId, "", $"m{i}")));
        await SyncAllAsync(groupId, joined);
        return joined;
    }

    private Task<GroupJoinResult> Join(string groupId, string memberId, string clientId) =>
        coordinator.JoinAsync(new GroupJoinRequest(groupId, memberId, null, clientId, "/127.0.0.1", SessionTimeout, RebalanceTimeout,
            "consumer", [new GroupProtocol("range", Subscription)], RequireKnownMemberId: false));

    private async Task SyncAllAsync(string groupId, GroupJoinResult[] joined)
    {
        foreach (var result in joined.Where(r => r.Error != GroupError.None))
        {
            throw new InvalidOperationException($"join answered {result.Error}");
        }
        var leader = joined.Single(j => j.Members.Count > 0);
        var syncs = joined.Where(j => j != leader)
            .Select(j => coordinator.SyncAsync(new GroupSyncRequest(groupId, j.MemberId, null, j.GenerationId, null, null,
                new Dictionary<string, byte[]>())))
            .ToList();
        var assignments = leader.Members.ToDictionary(m => m.MemberId, m => new byte[] { 0, 0, 0, 0, 0, 0 });
        syncs.Add(coordinator.SyncAsync(new GroupSyncRequest(groupId, leader.MemberId, null, leader.GenerationId, null, null, assignments)));
        foreach (var synced in await Task.WhenAll(syncs))
        {
            if (synced.Error != GroupError.None || synced.Assignment.Length == 0)
            {
                throw new InvalidOperationException($"sync answered {synced.Error}");
            }
        }
    }
}
