using System.Text;
using Herald.Storage.Metadata;
using Herald.TestKit;

namespace Herald.Storage.Tests;

public class MetadataStoreTests
{
    private const string Dir = "/data/metadata";
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();

    private MetadataStore Open() => MetadataStore.Open(_device, Dir, _clock, cleanShutdown: false,
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Entries_written_are_replayed_after_reopen()
    {
        await using (var store = Open())
        {
            await store.PutAsync("topic/a", Bytes("1"));
            await store.PutAsync("topic/b", Bytes("2"));
            await store.PutAsync("topic/a", Bytes("3"));
            await store.DeleteAsync("topic/b");
        }
        await using var reopened = Open();
        Assert.Single(reopened.Entries);
        Assert.True(reopened.TryGet("topic/a", out var value));
        Assert.Equal("3", Encoding.UTF8.GetString(value));
        Assert.False(reopened.TryGet("topic/b", out _));
    }

    [Fact]
    public async Task A_write_is_durable_when_it_returns()
    {
        await using (var store = Open())
        {
            await store.PutAsync("queue/q1", Bytes("durable"));
            _device.CrashLosingEverythingUnsynced(); // power loss right after the acknowledgement
        }
        await using var reopened = Open();
        Assert.True(reopened.TryGet("queue/q1", out var value));
        Assert.Equal("durable", Encoding.UTF8.GetString(value));
    }

    [Fact]
    public async Task Several_changes_in_one_write_are_atomic()
    {
        await using (var store = Open())
        {
            await store.WriteAsync(new[]
            {
                KeyValuePair.Create<string, byte[]?>("exchange/x", Bytes("direct")),
                KeyValuePair.Create<string, byte[]?>("binding/x/q", Bytes("rk")),
            });
            _device.CrashLosingEverythingUnsynced();
        }
        await using var reopened = Open();
        Assert.Equal(2, reopened.Entries.Count);
    }

    [Fact]
    public async Task Compaction_keeps_the_live_entries()
    {
        await using (var store = Open())
        {
            var big = new byte[100_000];
            for (var i = 0; i < 200; i++)
            {
                await store.PutAsync($"k{i % 5}", big); // 20 MB of history, 5 live entries
            }
            await store.DeleteAsync("k4");
            _clock.Advance(TimeSpan.FromMinutes(1));
            Assert.True(store.Compact() > 0);
        }
        await using var reopened = Open();
        Assert.Equal(new[] { "k0", "k1", "k2", "k3" }, reopened.Entries.Keys.Order());
    }
}
