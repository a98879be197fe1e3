using Herald.Storage;
using Herald.Storage.Log;
using Herald.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Broker.Tests.Topics;

/// <summary>
/// A broker on a real storage engine in a temporary directory, with a manual clock; <see cref="ReopenAsync"/>
/// closes everything and opens it again on the same directory, as a restart does. Disposal deletes the directory.
/// </summary>
internal sealed class BrokerFixture : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Herald.Broker.Topics.TopicRegistryOptions _options;

    private BrokerFixture(Herald.Broker.Topics.TopicRegistryOptions options) => _options = options;

    public ManualClock Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    public StorageEngine Storage { get; private set; } = null!;

    public Broker Broker { get; private set; } = null!;

    /// <summary>The ready-message memory budget each (re)opened broker gets; null keeps the default.</summary>
    public long? ReadyMemoryLimitBytes { get; set; }

    public static async Task<BrokerFixture> StartAsync(Herald.Broker.Topics.TopicRegistryOptions? options = null)
    {
        var fixture = new BrokerFixture(options ?? new());
        await fixture.OpenAsync();
        return fixture;
    }

    public async Task ReopenAsync()
    {
        await CloseAsync();
        await OpenAsync();
    }

    private async Task OpenAsync()
    {
        Storage = StorageEngine.Open(new StorageEngineOptions
        {
            DataDirectory = _directory.Path,
            Clock = Clock,
            DefaultLogOptions = LogOptions.Default with { Fsync = FsyncPolicy.Always },
        });
        Broker = new Broker(Storage, Clock, NullLoggerFactory.Instance, _options);
        if (ReadyMemoryLimitBytes is { } limit)
        {
            Broker.VirtualHosts.ReadyMemory.LimitBytes = limit;
        }
        await Broker.StartAsync();
    }

    private async Task CloseAsync()
    {
        await Broker.DisposeAsync();
        await Storage.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _directory.Dispose();
    }
}
