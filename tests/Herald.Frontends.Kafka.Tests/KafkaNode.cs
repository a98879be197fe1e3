using Herald.Server;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// A Herald node started in-process on loopback with a fresh data directory, for one test class (xunit class
/// fixture) or one test. <see cref="RestartAsync"/> stops it and starts a new node on the same directory; disposal
/// stops it and deletes the directory.
/// </summary>
public sealed class KafkaNode : IAsyncLifetime, IAsyncDisposable
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();
    private HeraldInstance? _instance;

    public HeraldOptions Options => _options;

    public HeraldInstance Instance => _instance ?? throw new InvalidOperationException("The node is not running.");

    public int Port => Instance.KafkaPort ?? throw new InvalidOperationException("No Kafka listener.");

    /// <summary>The bootstrap address clients are given.</summary>
    public string Bootstrap => $"127.0.0.1:{Port}";

    public async Task InitializeAsync() => _instance = await HeraldServer.StartAsync(_options);

    public async Task RestartAsync()
    {
        await Instance.DisposeAsync();
        _instance = null;
        _instance = await HeraldServer.StartAsync(_options);
    }

    public async Task DisposeAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
            _instance = null;
        }
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>A topic name no other test uses.</summary>
    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
}
