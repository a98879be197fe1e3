using Herald.Server;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// One Herald node, started in-process for every test of the collection (starting one per test would dominate the
/// run time) and stopped at the end, its temporary data directory deleted. Tests share it, so each uses its own
/// channel names and checks figures that only grow. A test that changes node-wide state owns a node of its own.
/// </summary>
public sealed class HeraldNode : IAsyncLifetime
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();
    private HeraldInstance? _instance;

    public HeraldInstance Instance => _instance ?? throw new InvalidOperationException("The node is not running.");

    public int Port => Instance.RespPort ?? throw new InvalidOperationException("No RESP listener.");

    public async Task InitializeAsync() => _instance = await HeraldServer.StartAsync(_options);

    public async Task DisposeAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
        }
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HeraldCollection : ICollectionFixture<HeraldNode>
{
    public const string Name = "herald";
}

/// <summary>
/// The stream tests' own node: they create keys (and the scenario flushes them), which the connection tests'
/// DBSIZE and KEYS checks must not see. Tests of one collection run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class HeraldStreamsCollection : ICollectionFixture<HeraldNode>
{
    public const string Name = "herald-streams";
}
