namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// The same scripted conversation (clients/python/scenario.py: connection commands and their errors, pub/sub in
/// RESP2 and RESP3, subscribed-mode restrictions, CLIENT KILL, QUIT, inline commands, protocol errors) against
/// redis-server and against Herald: every reply must be byte for byte the same, except the version and client ids
/// the script masks.
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class DifferentialTests(HeraldNode herald, RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Herald_replies_byte_for_byte_as_redis_server_to_the_scripted_scenario()
    {
        var expected = await ClientProcess.RunAsync(ClientProcess.Python, ["python/scenario.py", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var actual = await ClientProcess.RunAsync(ClientProcess.Python, ["python/scenario.py", herald.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.True(expected.ExitCode == 0, $"against redis-server: {expected}");
        Assert.True(actual.ExitCode == 0, $"against Herald: {actual}");
        Assert.Equal("scenario complete", expected.Lines[^1]);
        Assert.True(expected.Lines.Length > 100, $"only {expected.Lines.Length} lines");
        for (var i = 0; i < Math.Max(expected.Lines.Length, actual.Lines.Length); i++)
        {
            Assert.Equal(expected.Lines.ElementAtOrDefault(i), actual.Lines.ElementAtOrDefault(i));
        }
    }
}
