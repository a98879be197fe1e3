using System.Globalization;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// redis-py and node-redis run their own checks against Herald (clients/python/redis_py_client.py,
/// clients/node/node_redis_client.mjs): start-up handshakes (CLIENT SETINFO, HELLO 3), every connection command,
/// pub/sub with patterns and shard channels, RESP3 (node-redis), and thousands of pipelined commands.
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class RealClientTests(HeraldNode herald)
{
    private string Port => herald.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Redis_py_passes_its_checks_against_Herald()
    {
        var result = await ClientProcess.RunAsync(ClientProcess.Python, ["python/redis_py_client.py", Port]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ok SUBSCRIBE and PSUBSCRIBE with messages", result.Lines);
        Assert.Contains("ok 5000 commands pipelined in one round trip", result.Lines);
        Assert.Equal("redis-py: all checks passed (11)", result.Lines[^1]);
    }

    [Fact]
    public async Task Node_redis_passes_its_checks_in_RESP2_and_RESP3()
    {
        Assert.True(
            Directory.Exists(Path.Combine(ClientProcess.ClientsDirectory, "node", "node_modules", "redis")),
            $"node-redis is not installed: run `npm ci` in {Path.Combine(ClientProcess.ClientsDirectory, "node")} (./run-tests does).");

        var result = await ClientProcess.RunAsync("node", ["node/node_redis_client.mjs", Port]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ok RESP3 connect (CLIENT SETINFO, HELLO 3)", result.Lines);
        Assert.Contains("ok RESP3 SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their messages", result.Lines);
        Assert.Equal("node-redis: all checks passed (20)", result.Lines[^1]);
    }
}
