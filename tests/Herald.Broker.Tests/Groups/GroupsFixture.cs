using Herald.Broker.Groups;
using Herald.Storage;
using Herald.Storage.Log;
using Herald.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Broker.Tests.Groups;

/// <summary>
/// A group coordinator on real storage in a temporary directory, driven by a manual clock. <see cref="ReopenAsync"/>
/// closes the storage and opens it again, as a broker restart does. Also the helpers the tests share to join and sync.
/// </summary>
internal sealed class GroupsFixture : IAsyncDisposable
{
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RebalanceTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan InitialDelay = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan OffsetsRetention = TimeSpan.FromHours(1);

    private readonly TempDirectory _directory = new();

    public ManualClock Clock { get; } = new();

    public StorageEngine Storage { get; private set; } = null!;

    public GroupCoordinator Coordinator { get; private set; } = null!;

    public static GroupsFixture Start()
    {
        var fixture = new GroupsFixture();
        fixture.Open();
        return fixture;
    }

    public async Task ReopenAsync()
    {
        await CloseAsync();
        Open();
    }

    public Task<GroupJoinResult> Join(string memberId, string clientId = "client", string? instanceId = null,
        string[]? protocols = null, string group = "g", bool requireKnownMemberId = false, byte[]? metadata = null) =>
        Coordinator.JoinAsync(new GroupJoinRequest(group, memberId, instanceId, clientId, "/127.0.0.1", SessionTimeout,
            RebalanceTimeout, "consumer",
            [.. (protocols ?? ["range"]).Select(p => new GroupProtocol(p, metadata ?? [1, 2, 3]))],
            requireKnownMemberId));

    public Task<GroupSyncResult> Sync(string memberId, int generation, Dictionary<string, byte[]>? assignments = null,
        string group = "g", string? instanceId = null) =>
        Coordinator.SyncAsync(new GroupSyncRequest(group, memberId, instanceId, generation, null, null,
            assignments ?? []));

    /// <summary>Joins <paramref name="count"/> new members during the initial delay and lets it pass.</summary>
    public async Task<GroupJoinResult[]> FormGroup(int count, string group = "g")
    {
        var joins = Enumerable.Range(0, count).Select(i => Join("", clientId: $"c{i}", group: group)).ToArray();
        // The first delay ends with the others counted as late arrivals, so it is extended once.
        Clock.Advance(InitialDelay * 2);
        return await Task.WhenAll(joins);
    }

    /// <summary>Forms a group and syncs it, the leader giving each member its own id as assignment.</summary>
    public async Task<GroupJoinResult[]> FormStableGroup(int count, string group = "g")
    {
        var joined = await FormGroup(count, group);
        var leader = joined.Single(j => j.Members.Count > 0);
        var followers = joined.Where(j => j != leader).Select(j => Sync(j.MemberId, j.GenerationId, group: group)).ToArray();
        var assignments = joined.ToDictionary(j => j.MemberId, j => System.Text.Encoding.UTF8.GetBytes(j.MemberId));
        await Sync(leader.MemberId, leader.GenerationId, assignments, group);
        await Task.WhenAll(followers);
        return joined;
    }

    private void Open()
    {
        Storage = StorageEngine.Open(new StorageEngineOptions
        {
            DataDirectory = _directory.Path,
            Clock = Clock,
            DefaultLogOptions = LogOptions.Default with { Fsync = FsyncPolicy.Always },
        });
        Coordinator = new GroupCoordinator(new CommittedOffsetStore(Storage, Clock),
            new GroupCoordinatorOptions
            {
                InitialRebalanceDelay = InitialDelay,
                OffsetsRetention = OffsetsRetention,
                // Tests run expiry themselves, at the moments they choose.
                OffsetsRetentionCheckInterval = TimeSpan.FromDays(3650),
            },
            Clock, NullLogger.Instance);
        Coordinator.Load();
    }

    private async Task CloseAsync()
    {
        Coordinator.Dispose();
        await Storage.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _directory.Dispose();
    }
}
