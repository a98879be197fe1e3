using Herald.Frontends.Resp.Catalog;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// A command Herald implements: its generated <see cref="RespCommandSpec"/>, its handler (null for a container such
/// as CLIENT, whose subcommands have the handlers), and its subcommands. Also caches the command's COMMAND INFO and
/// COMMAND DOCS replies, encoded once per RESP version. Immutable after the table is built; thread-safe.
/// </summary>
internal sealed class RespCommandEntry
{
    private readonly Dictionary<byte[], RespCommandEntry> _subcommands = new(ByteStringComparer.AsciiIgnoreCase);
    private readonly Dictionary<byte[], RespCommandEntry>.AlternateLookup<ReadOnlySpan<byte>> _subcommandLookup;
    private readonly byte[]?[] _encodedInfo = new byte[]?[2];
    private readonly byte[]?[] _encodedDocs = new byte[]?[2];

    public RespCommandEntry(RespCommandSpec spec, RespCommandHandler? handler, bool allowedWhileSubscribed,
        bool runsBeforeEarlierWritesAreDurable = false)
    {
        RunsBeforeEarlierWritesAreDurable = runsBeforeEarlierWritesAreDurable;
        Spec = spec;
        DeniedOnLowMemory = spec.Flags.Contains("denyoom");
        IsWrite = spec.Flags.Contains("write");
        Handler = handler;
        AllowedWhileSubscribed = allowedWhileSubscribed;
        _subcommandLookup = _subcommands.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public RespCommandSpec Spec { get; }

    public RespCommandHandler? Handler { get; }

    /// <summary>One of the commands RESP2 still accepts in subscribed mode (Redis's list in processCommand).</summary>
    public bool AllowedWhileSubscribed { get; }

    /// <summary>
    /// May run while replies to this connection's earlier writes wait for durability (XADD: a pipeline of them shares
    /// one fsync). Any other command waits for those first; see RespConnection.
    /// </summary>
    public bool RunsBeforeEarlierWritesAreDurable { get; }

    /// <summary>Flagged <c>denyoom</c>: refused while the memory alarm is in effect (Redis: above maxmemory).</summary>
    public bool DeniedOnLowMemory { get; }

    /// <summary>Flagged <c>write</c>: refused while the disk alarm is in effect.</summary>
    public bool IsWrite { get; }

    public bool HasSubcommands => _subcommands.Count > 0;

    /// <summary>Subcommands by name, in name order.</summary>
    public IReadOnlyList<RespCommandEntry> Subcommands { get; private set; } = [];

    public RespCommandEntry? FindSubcommand(ReadOnlySpan<byte> name) => _subcommandLookup.TryGetValue(name, out var entry) ? entry : null;

    internal void AddSubcommand(RespCommandEntry subcommand)
    {
        _subcommands.Add(System.Text.Encoding.ASCII.GetBytes(subcommand.Spec.ShortName), subcommand);
        var list = new List<RespCommandEntry>(Subcommands) { subcommand };
        list.Sort(static (a, b) => string.CompareOrdinal(a.Spec.Name, b.Spec.Name));
        Subcommands = list;
    }

    /// <summary>The cached COMMAND INFO element for this command in RESP <paramref name="version"/>.</summary>
    public byte[] EncodedInfo(bool resp3) =>
        _encodedInfo[resp3 ? 1 : 0] ??= RespCommandReplies.EncodeInfo(this, resp3);

    /// <summary>The cached COMMAND DOCS value (the map after the name) in RESP <paramref name="version"/>.</summary>
    public byte[] EncodedDocs(bool resp3) =>
        _encodedDocs[resp3 ? 1 : 0] ??= RespCommandReplies.EncodeDocs(this, resp3);
}
