using System.Text;
using Herald.Broker.Streams;
using Herald.Broker.Tests.Topics;

namespace Herald.Broker.Tests.Streams;

public sealed class StreamStoreTests : IAsyncLifetime
{
    private static readonly byte[] Key = "orders"u8.ToArray();
    private static readonly byte[] Group = "workers"u8.ToArray();
    private BrokerFixture _f = null!;

    public async Task InitializeAsync() => _f = await BrokerFixture.StartAsync();

    public Task DisposeAsync() => _f.DisposeAsync().AsTask();

    private StreamStore Streams => _f.Broker.Streams;

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private Task<StreamAddResult> Add(byte[] key, ulong ms, ulong seq, string field = "f", string value = "v", StreamTrim? trim = null) =>
        Streams.AddAsync(key, new StreamAddRequest(StreamIdKind.Explicit, new StreamId(ms, seq), [B(field), B(value)], false, trim));

    private static List<string> Ids(List<StreamEntry> entries) => entries.Select(e => e.Id.ToString()).ToList();

    [Fact]
    public async Task Entries_are_a_one_partition_topic_and_ranges_are_index_lookups()
    {
        for (ulong i = 1; i <= 5; i++)
        {
            Assert.Equal(StreamError.None, (await Add(Key, i, 0, value: i.ToString())).Error);
        }
        Assert.True(_f.Broker.Topics.TryGet("orders", out var topic));
        Assert.Single(topic.Partitions);
        Assert.Equal(5, topic.Partitions[0].HighWatermark.Value);

        Assert.Equal(["2-0", "3-0", "4-0"], Ids(Streams.Range(Key, new StreamId(2, 0), new StreamId(4, 0), -1, reverse: false)));
        Assert.Equal(["5-0", "4-0"], Ids(Streams.Range(Key, StreamId.Min, StreamId.Max, 2, reverse: true)));
        var entry = Streams.Range(Key, new StreamId(3, 0), new StreamId(3, 0), -1, false).Single();
        Assert.Equal(["f", "3"], entry.Fields!.Select(f => Encoding.UTF8.GetString(f)));
        Assert.Equal(StreamError.IdNotGreater, (await Add(Key, 5, 0)).Error);
    }

    [Fact]
    public async Task Entries_deletions_trims_and_ids_survive_a_restart()
    {
        for (ulong i = 1; i <= 10; i++)
        {
            await Add(Key, i, 0);
        }
        Assert.Equal(2, await Streams.DeleteEntriesAsync(Key, [new StreamId(5, 0), new StreamId(6, 0)]));
        Assert.Equal(3, await Streams.TrimAsync(Key, new StreamTrim(StreamTrimStrategy.MinId, 0, new StreamId(4, 0), false, 0)));
        Assert.Equal(StreamError.None, await Streams.SetIdAsync(Key, new StreamId(100, 0), null, null));
        Assert.Equal(5, Streams.Length(Key));

        await _f.ReopenAsync();

        Assert.Equal(5, Streams.Length(Key));
        Assert.Equal(["4-0", "7-0", "8-0", "9-0", "10-0"], Ids(Streams.Range(Key, StreamId.Min, StreamId.Max, -1, false)));
        Assert.Equal(new StreamId(100, 0), Streams.LastId(Key));
        Assert.Equal(10, Streams.Inspect(Key, s => s.EntriesAdded));
        Assert.Equal(new StreamId(6, 0), Streams.Inspect(Key, s => s.MaxDeletedId));
        Assert.Equal(StreamError.IdNotGreater, (await Add(Key, 99, 0)).Error);
        Assert.Equal(StreamError.None, (await Add(Key, 101, 0)).Error);
        Assert.Equal(11, Streams.Inspect(Key, s => s.EntriesAdded));
    }

    [Fact]
    public async Task Consumer_groups_and_pending_entries_survive_a_restart()
    {
        for (ulong i = 1; i <= 4; i++)
        {
            await Add(Key, i, 0);
        }
        Assert.Equal(StreamError.None, await Streams.CreateGroupAsync(Key, Group, new StreamGroupPosition(false, StreamId.Min), false, null));
        var read = await Streams.ReadGroupAsync(Key, Group, B("alice"), null, 3, noAck: false);
        Assert.Equal(["1-0", "2-0", "3-0"], Ids(read.Entries!));
        Assert.Equal(1, await Streams.AckAsync(Key, Group, [new StreamId(1, 0)]));
        _f.Clock.Advance(TimeSpan.FromSeconds(5));
        var claimed = await Streams.ClaimAsync(Key, new StreamClaimRequest(Group, B("bob"), 1000, [new StreamId(2, 0)], null, null, null, false, false, null));
        Assert.Equal(["2-0"], Ids(claimed.Claimed));

        await _f.ReopenAsync();

        var (_, summary) = Streams.PendingSummary(Key, Group);
        Assert.Equal(2, summary!.Count);
        Assert.Equal([("alice", 1L), ("bob", 1L)], summary.Consumers.Select(c => (Encoding.UTF8.GetString(c.Consumer), c.Count)));
        var (_, pending) = Streams.Pending(Key, Group, StreamId.Min, StreamId.Max, 10, null, 0);
        Assert.Equal([("2-0", "bob", 2L), ("3-0", "alice", 1L)],
            pending.Select(p => (p.Id.ToString(), Encoding.UTF8.GetString(p.Consumer), p.DeliveryCount)));
        Assert.Equal(5000, pending[1].IdleMs);
        var next = await Streams.ReadGroupAsync(Key, Group, B("alice"), null, 10, noAck: false);
        Assert.Equal(["4-0"], Ids(next.Entries!));
        Assert.Equal(4, Streams.Inspect(Key, s => s.FindGroup(Group)!.EntriesRead));
    }

    [Fact]
    public async Task A_destroyed_and_recreated_group_starts_empty_after_a_restart()
    {
        await Add(Key, 1, 0);
        await Streams.CreateGroupAsync(Key, Group, new StreamGroupPosition(false, StreamId.Min), false, null);
        await Streams.ReadGroupAsync(Key, Group, B("alice"), null, 10, noAck: false);
        Assert.True(await Streams.DestroyGroupAsync(Key, Group));
        await Streams.CreateGroupAsync(Key, Group, new StreamGroupPosition(true, default), false, null);

        await _f.ReopenAsync();

        Assert.Equal(0, Streams.PendingSummary(Key, Group).Summary!.Count);
        Assert.Equal(new StreamId(1, 0), Streams.Inspect(Key, s => s.FindGroup(Group)!.LastDelivered));
    }

    [Fact]
    public async Task Approximate_trims_remove_whole_nodes_only()
    {
        for (ulong i = 1; i <= 250; i++)
        {
            await Add(Key, i, 0);
        }
        // Keeping 100 needs the cut at offset 150, inside the node [100, 200): only the first node goes.
        Assert.Equal(100, await Streams.TrimAsync(Key, new StreamTrim(StreamTrimStrategy.MaxLen, 100, default, true, 10_000)));
        Assert.Equal(150, Streams.Length(Key));
        Assert.Equal(0, await Streams.TrimAsync(Key, new StreamTrim(StreamTrimStrategy.MaxLen, 100, default, true, 10_000)));
    }

    [Fact]
    public async Task Deleting_a_stream_deletes_its_topic_and_a_new_one_starts_fresh()
    {
        await Add(Key, 7, 0);
        Assert.True(await Streams.DeleteStreamAsync(Key));
        Assert.False(_f.Broker.Topics.TryGet("orders", out _));
        Assert.Equal(0, Streams.Count);

        await Add(Key, 1, 0);
        await _f.ReopenAsync();

        Assert.Equal(["1-0"], Ids(Streams.Range(Key, StreamId.Min, StreamId.Max, -1, false)));
    }

    [Fact]
    public async Task Keys_that_are_no_topic_names_map_to_hashed_topics_and_survive_a_restart()
    {
        var key = B("orders:eu/1");
        await Add(key, 1, 0);
        Assert.StartsWith("redis-stream.", StreamStore.TopicNameFor(key), StringComparison.Ordinal);

        await _f.ReopenAsync();

        Assert.True(Streams.Exists(key));
        Assert.Equal(1, Streams.Length(key));
    }

    [Fact]
    public async Task A_blocked_reader_is_woken_by_the_add()
    {
        var changed = Streams.WhenChanged(Key);
        Assert.False(changed.IsCompleted);
        await Add(Key, 1, 0);
        await changed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Entries_with_old_explicit_ids_are_not_removed_by_time_retention()
    {
        await Add(Key, 1, 1);
        _f.Clock.Advance(TimeSpan.FromDays(30));
        _f.Storage.RunMaintenance();

        await _f.ReopenAsync();

        Assert.Equal(["1-1"], Ids(Streams.Range(Key, StreamId.Min, StreamId.Max, -1, false)));
    }

    [Fact]
    public async Task Names_longer_than_64_KiB_survive_a_restart()
    {
        var key = new byte[70_000];
        var group = new byte[70_001];
        Array.Fill(key, (byte)'k');
        Array.Fill(group, (byte)'g');
        await Add(key, 1, 0);
        await Streams.CreateGroupAsync(key, group, new StreamGroupPosition(false, StreamId.Min), false, null);
        await Streams.ReadGroupAsync(key, group, B("c"), null, 10, noAck: false);

        await _f.ReopenAsync();

        Assert.True(Streams.Exists(key));
        Assert.Equal(1, Streams.PendingSummary(key, group).Summary!.Count);
    }
}
