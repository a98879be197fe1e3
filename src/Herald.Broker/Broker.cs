using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Broker;

/// <summary>
/// The facade every protocol front end calls (DESIGN.md section 5). It is protocol-neutral: front ends translate
/// their wire types into the neutral types of this project and back, and wire types never cross into it. One
/// instance per node, created once the storage engine is open and disposed before it closes; thread-safe.
/// Each area of the broker lives in its own folder and is reached through a property here.
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    public Broker(StorageEngine storage, TimeProvider clock, ILoggerFactory loggerFactory)
    {
        Storage = storage;
        Clock = clock;
        LoggerFactory = loggerFactory;
    }

    /// <summary>The node's storage engine: logs and the metadata store.</summary>
    public StorageEngine Storage { get; }

    /// <summary>The broker's only source of time, so tests and simulations can run it on a manual clock.</summary>
    public TimeProvider Clock { get; }

    public ILoggerFactory LoggerFactory { get; }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
