using System.Text;
using Herald.Broker.Resources;
using Herald.Frontends.Resp.Catalog;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// The dispatch table: command names (matched on bytes, ASCII case-insensitively, without allocating) to
/// <see cref="RespCommandEntry"/>s, plus the checks Redis's <c>processCommand</c> makes before running anything, in
/// its order and with its messages: unknown command, unknown subcommand, wrong arity, then the RESP2 subscribed-mode
/// restriction. Built once by <see cref="RespCommands.CreateTable"/>; immutable and thread-safe afterwards.
/// </summary>
internal sealed class RespCommandTable
{
    private readonly Dictionary<byte[], RespCommandEntry> _commands = new(ByteStringComparer.AsciiIgnoreCase);
    private readonly Dictionary<byte[], RespCommandEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Dictionary<string, RespCommandSpec> _specs;

    public RespCommandTable()
    {
        _lookup = _commands.GetAlternateLookup<ReadOnlySpan<byte>>();
        _specs = RespCommandCatalog.All.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>Top-level commands, in name order (COMMAND, COMMAND DOCS).</summary>
    public IReadOnlyList<RespCommandEntry> Commands { get; private set; } = [];

    /// <summary>Adds a command implemented by <paramref name="handler"/>; its metadata comes from the catalog.</summary>
    public RespCommandEntry Add(string name, RespCommandHandler handler, bool allowedWhileSubscribed = false,
        bool runsBeforeEarlierWritesAreDurable = false) =>
        AddEntry(new RespCommandEntry(Spec(name), handler, allowedWhileSubscribed, runsBeforeEarlierWritesAreDurable));

    /// <summary>
    /// Adds a container command (CLIENT, COMMAND, PUBSUB) and the subcommands Herald implements.
    /// <paramref name="handler"/> runs the container alone (COMMAND with no subcommand); null where Redis's arity
    /// forbids that.
    /// </summary>
    public RespCommandEntry AddContainer(
        string name, RespCommandHandler? handler, params (string Name, RespCommandHandler Handler)[] subcommands)
    {
        var container = AddEntry(new RespCommandEntry(Spec(name), handler, allowedWhileSubscribed: false));
        foreach (var (subcommand, subcommandHandler) in subcommands)
        {
            container.AddSubcommand(new RespCommandEntry(Spec($"{name}|{subcommand}"), subcommandHandler, allowedWhileSubscribed: false));
        }
        return container;
    }

    public RespCommandEntry? Find(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var entry) ? entry : null;

    /// <summary>Finds <c>name</c> or <c>container|subcommand</c>, as COMMAND INFO and COMMAND DOCS name them.</summary>
    public RespCommandEntry? FindByFullName(ReadOnlySpan<byte> fullName)
    {
        var bar = fullName.IndexOf((byte)'|');
        if (bar < 0)
        {
            return Find(fullName);
        }
        var rest = fullName[(bar + 1)..];
        return rest.Contains((byte)'|') ? null : Find(fullName[..bar])?.FindSubcommand(rest);
    }

    /// <summary>
    /// The entry to run for <paramref name="request"/>, or null after replying with the error that stops it.
    /// <paramref name="restrictToSubscribedCommands"/> is true for a RESP2 connection in subscribed mode;
    /// <paramref name="alarms"/> are the node's resource alarms in effect: under the memory alarm <c>denyoom</c>
    /// commands get Redis's OOM error, under the disk alarm <c>write</c> commands get a MISCONF error.
    /// </summary>
    public RespCommandEntry? Resolve(RespRequest request, RespCommandContext context, bool restrictToSubscribedCommands,
        ResourceAlarm alarms = ResourceAlarm.None)
    {
        var entry = Find(request[0]);
        if (entry is null)
        {
            context.ReplyError(RespErrors.UnknownCommand(request));
            return null;
        }
        if (entry.HasSubcommands && request.Count >= 2)
        {
            var subcommand = entry.FindSubcommand(request[1]);
            if (subcommand is null)
            {
                context.ReplyError(RespErrors.UnknownSubcommand(request));
                return null;
            }
            entry = subcommand;
        }
        if (!entry.Spec.AcceptsArgumentCount(request.Count))
        {
            context.ReplyError(RespErrors.WrongArity(entry.Spec.Name));
            return null;
        }
        if (restrictToSubscribedCommands && !entry.AllowedWhileSubscribed)
        {
            context.ReplyError(
                $"ERR Can't execute '{entry.Spec.Name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            return null;
        }
        if (alarms != ResourceAlarm.None)
        {
            if ((alarms & ResourceAlarm.Memory) != 0 && entry.DeniedOnLowMemory)
            {
                context.ReplyError(RespErrors.OutOfMemory);
                return null;
            }
            if ((alarms & ResourceAlarm.Disk) != 0 && entry.IsWrite)
            {
                context.ReplyError(RespErrors.LowOnDisk);
                return null;
            }
        }
        context.Begin(request, entry);
        return entry;
    }

    private RespCommandSpec Spec(string fullName) =>
        _specs.TryGetValue(fullName, out var spec)
            ? spec
            : throw new InvalidOperationException($"The command catalog has no '{fullName}'; regenerate it or fix the name.");

    private RespCommandEntry AddEntry(RespCommandEntry entry)
    {
        _commands.Add(Encoding.ASCII.GetBytes(entry.Spec.Name), entry);
        var list = new List<RespCommandEntry>(Commands) { entry };
        list.Sort(static (a, b) => string.CompareOrdinal(a.Spec.Name, b.Spec.Name));
        Commands = list;
        return entry;
    }
}
