using Herald.Server;
using RabbitMQ.Client;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// One in-process Herald node on its own temporary data directory, restartable on the same directory (a clean
/// restart), with RabbitMQ.Client connections to its AMQP listener. Disposal stops it and deletes the directory.
/// </summary>
public sealed class MessagingNode : IAsyncDisposable
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();
    private HeraldInstance? _instance;

    public int Port => _instance?.AmqpPort ?? throw new InvalidOperationException("The node is not running.");

    /// <summary>The running node: its HTTP port, its resource monitor.</summary>
    public HeraldInstance Instance => _instance ?? throw new InvalidOperationException("The node is not running.");

    /// <summary>Starts a node; <paramref name="configure"/> may change the test options first.</summary>
    public static async Task<MessagingNode> StartAsync(Action<HeraldOptions>? configure = null)
    {
        var node = new MessagingNode();
        configure?.Invoke(node._options);
        node._instance = await HeraldServer.StartAsync(node._options);
        return node;
    }

    public async Task RestartAsync()
    {
        await _instance!.DisposeAsync();
        _instance = await HeraldServer.StartAsync(_options);
    }

    public Task<IConnection> ConnectAsync() => Connect(Port);

    public static Task<IConnection> Connect(int port) =>
        new ConnectionFactory { HostName = "127.0.0.1", Port = port, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();

    /// <summary>A name no other test uses (tests share nothing, but unique names make failures easy to read).</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public async ValueTask DisposeAsync()
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
