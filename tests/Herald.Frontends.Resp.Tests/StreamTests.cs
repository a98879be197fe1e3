using System.Globalization;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// Redis streams through real clients against Herald: redis-py (clients/python/redis_py_streams.py), node-redis in
/// RESP2 and RESP3 (clients/node/node_redis_streams.mjs) and redis-cli, covering entries, trimming, blocking reads
/// woken by another client, consumer groups with XAUTOCLAIM failover, XINFO, the keyspace and pipelining.
/// </summary>
[Collection(HeraldStreamsCollection.Name)]
public sealed class StreamClientTests(HeraldNode herald)
{
    private string Port => herald.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Redis_py_passes_its_stream_checks()
    {
        var result = await ClientProcess.RunAsync(ClientProcess.Python, ["python/redis_py_streams.py", Port, "py:"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ok XREAD BLOCK woken by XADD from another client, timeout, many keys", result.Lines);
        Assert.Contains("ok failover: XCLAIM and XAUTOCLAIM move pending entries; XINFO GROUPS/CONSUMERS/STREAM", result.Lines);
        Assert.Equal("redis-py streams: all checks passed (8)", result.Lines[^1]);
    }

    [Fact]
    public async Task Node_redis_passes_its_stream_checks_in_RESP2_and_RESP3()
    {
        Assert.True(
            Directory.Exists(Path.Combine(ClientProcess.ClientsDirectory, "node", "node_modules", "redis")),
            $"node-redis is not installed: run `npm ci` in {Path.Combine(ClientProcess.ClientsDirectory, "node")} (./run-tests does).");

        var result = await ClientProcess.RunAsync("node", ["node/node_redis_streams.mjs", Port, "node:"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ok RESP3 XINFO STREAM and XREAD reply types", result.Lines);
        Assert.Contains("ok RESP3 consumer-group failover: XREADGROUP, XACK, XPENDING, XAUTOCLAIM, XINFO GROUPS/CONSUMERS", result.Lines);
        Assert.Equal("node-redis streams: all checks passed (12)", result.Lines[^1]);
    }

    [Fact]
    public async Task Redis_cli_adds_reads_and_blocks_until_another_redis_cli_adds()
    {
        Assert.Equal("5-1", (await ClientProcess.RedisCliAsync(herald.Port, "XADD", "cli:s", "5-1", "field", "value")).Output.Trim());
        Assert.Equal("5-1\nfield\nvalue", (await ClientProcess.RedisCliAsync(herald.Port, "XRANGE", "cli:s", "-", "+")).Output.Trim());

        var blocked = ClientProcess.RedisCliAsync(herald.Port, "XREAD", "BLOCK", "10000", "STREAMS", "cli:s", "$");
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted);
        Assert.Equal("6-0", (await ClientProcess.RedisCliAsync(herald.Port, "XADD", "cli:s", "6-0", "late", "1")).Output.Trim());
        Assert.Equal("cli:s\n6-0\nlate\n1", (await blocked.WaitAsync(TimeSpan.FromSeconds(10))).Output.Trim());

        var resp3 = await ClientProcess.RedisCliAsync(herald.Port, "-3", "XINFO", "STREAM", "cli:s");
        Assert.Contains("length", resp3.Output, StringComparison.Ordinal);
        var groups = await ClientProcess.RedisCliAsync(herald.Port, "--no-raw", "-3", "XGROUP", "CREATE", "cli:s", "g", "0");
        Assert.Equal("OK", groups.Output.Trim());
        var info = await ClientProcess.RedisCliAsync(herald.Port, "--no-raw", "-3", "XINFO", "GROUPS", "cli:s");
        Assert.Contains("1# \"name\" => \"g\"", info.Output, StringComparison.Ordinal);
        Assert.Equal("stream", (await ClientProcess.RedisCliAsync(herald.Port, "TYPE", "cli:s")).Output.Trim());
    }
}

/// <summary>
/// The scripted stream conversation (clients/python/streams_scenario.py: every stream command with its options and
/// errors, blocking, consumer groups and claiming, RESP3, the keyspace) against redis-server and against Herald:
/// with explicit IDs every reply is deterministic, so they must be identical byte for byte.
/// </summary>
[Collection(HeraldStreamsCollection.Name)]
public sealed class StreamDifferentialTests(HeraldNode herald, RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Herald_replies_byte_for_byte_as_redis_server_to_the_stream_scenario()
    {
        var expected = await ClientProcess.RunAsync(ClientProcess.Python, ["python/streams_scenario.py", redis.Port.ToString(CultureInfo.InvariantCulture)]);
        var actual = await ClientProcess.RunAsync(ClientProcess.Python, ["python/streams_scenario.py", herald.Port.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(expected.ExitCode == 0, $"against redis-server: {expected}");
        Assert.True(actual.ExitCode == 0, $"against Herald: {actual}");
        Assert.Equal("streams scenario complete", expected.Lines[^1]);
        Assert.True(expected.Lines.Length > 150, $"only {expected.Lines.Length} lines");
        for (var i = 0; i < Math.Max(expected.Lines.Length, actual.Lines.Length); i++)
        {
            Assert.Equal(expected.Lines.ElementAtOrDefault(i), actual.Lines.ElementAtOrDefault(i));
        }
    }
}
