using Herald.Primitives;

namespace Herald.Storage.Log;

/// <summary>
/// The outcome of an accepted append: the offsets it was given (the order is fixed from this moment) and
/// <see cref="Durable"/>, which completes when the data is durable under the log's <see cref="FsyncPolicy"/> (or
/// faults if the log went offline first). This is the two-phase produce of DESIGN.md section 5: a front end keeps
/// reading requests while earlier ones wait for <see cref="Durable"/>.
/// </summary>
public readonly record struct AppendResult(Offset BaseOffset, Offset LastOffset, Task Durable);
