using Herald.Frontends.Resp.Connections;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// What a command handler gets: the request, the resolved command, the connection and the node-wide front end, plus
/// reply helpers that take the connection's output lock for one whole reply. A handler writing a multi-part reply
/// uses <see cref="BeginReply"/> and writes everything inside that scope; nothing may publish to channels while it
/// is open (the lock order in <see cref="RespConnection"/>). One per connection, reused for every command; not
/// thread-safe.
/// </summary>
internal sealed class RespCommandContext(RespFrontend frontend, RespConnection connection)
{
    private RespRequest? _request;
    private RespCommandEntry? _entry;

    public RespFrontend Frontend { get; } = frontend;

    public RespConnection Connection { get; } = connection;

    public Herald.Broker.Broker Broker => Frontend.Broker;

    /// <summary>The arguments; [0] is the command name.</summary>
    public RespRequest Request => _request ?? throw new InvalidOperationException("No command is running.");

    public RespCommandEntry Entry => _entry ?? throw new InvalidOperationException("No command is running.");

    public int ArgumentCount => Request.Count;

    public ReadOnlySpan<byte> Argument(int index) => Request[index];

    /// <summary>True if argument <paramref name="index"/> equals <paramref name="word"/>, ignoring ASCII case.</summary>
    public bool ArgumentIs(int index, ReadOnlySpan<byte> word) => System.Text.Ascii.EqualsIgnoreCase(Request[index], word);

    public Lock.Scope BeginReply(out RespWriter writer) => Connection.BeginReply(out writer);

    public void ReplyOk() => ReplySimple("OK"u8);

    public void ReplySimple(ReadOnlySpan<byte> text)
    {
        using (BeginReply(out var writer))
        {
            writer.WriteSimpleString(text);
        }
    }

    /// <summary>An error reply; <paramref name="message"/> starts with its code (<c>ERR ...</c>).</summary>
    public void ReplyError(string message)
    {
        using (BeginReply(out var writer))
        {
            writer.WriteError(message);
        }
        Connection.CountErrorReply();
    }

    public void ReplyInteger(long value)
    {
        using (BeginReply(out var writer))
        {
            writer.WriteInteger(value);
        }
    }

    public void ReplyBulk(ReadOnlySpan<byte> value)
    {
        using (BeginReply(out var writer))
        {
            writer.WriteBulkString(value);
        }
    }

    public void ReplyNull()
    {
        using (BeginReply(out var writer))
        {
            writer.WriteNull();
        }
    }

    /// <summary>Redis's <c>getLongLongFromObjectOrReply</c>: parses argument <paramref name="index"/> or replies the error.</summary>
    public bool TryGetInteger(int index, out long value, string error = RespErrors.NotAnInteger)
    {
        if (RespInteger.TryParse(Request[index], out value))
        {
            return true;
        }
        ReplyError(error);
        return false;
    }

    internal void Begin(RespRequest request, RespCommandEntry entry)
    {
        _request = request;
        _entry = entry;
    }
}
