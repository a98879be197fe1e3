using Herald.Server;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// One Herald node, started in-process for every test of the collection and stopped at the end, its temporary data
/// directory deleted. Tests share it; each uses its own connections.
/// </summary>
public sealed class HeraldNode : IAsyncLifetime
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();
    private HeraldInstance? _instance;

    public int Port => _instance?.AmqpPort ?? throw new InvalidOperationException("The node is not running.");

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
