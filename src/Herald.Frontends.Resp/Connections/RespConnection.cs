using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Herald.Frontends.Resp.Commands;
using Herald.Protocols.Resp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Resp.Connections;

/// <summary>
/// One client connection: Redis's <c>client</c> struct. It owns the connection's state (id, name, protocol version,
/// subscriptions, counters) and runs its two loops (STYLE.md, "Two loops per connection"):
/// <list type="bullet">
/// <item>the read loop (this file) parses requests from the transport's pipe, runs them in order, and after each
/// read batch wakes the write loop once, so a pipeline of thousands of commands costs one flush;</item>
/// <item>the write loop (<c>RespConnection.Output.cs</c>) moves the output buffer into the transport and flushes,
/// absorbing the socket's back-pressure so publishers never wait for a slow client.</item>
/// </list>
/// Replies and pub/sub messages share one ordered output buffer guarded by one lock; publishers on other
/// connections write messages into it (<c>RespConnection.PubSub.cs</c>). Created per accepted connection by
/// <see cref="RespConnectionHandler"/> and alive until <see cref="RunAsync"/> returns. Thread-safe where marked; the
/// rest belongs to the read loop. <see cref="RunAsync"/> releases everything it holds before returning, which is why
/// the type is not disposable.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns and releases the reader; see the summary.")]
internal sealed partial class RespConnection
{
    private readonly RespFrontend _frontend;
    private readonly ConnectionContext _transport;
    private readonly RespReader _reader;
    private readonly RespCommandContext _context;
    private bool _closeRequested;
    private long _commandsProcessed;
    private long _inputBytes;
    private long _errorReplies;
    private long _lastInteractionTicks;

    /// <summary>
    /// Writes whose replies are written but held until durable (<see cref="BeginReplyWhenDurable"/>), oldest first.
    /// Only a command that allows it (<see cref="RespCommandEntry.RunsBeforeEarlierWritesAreDurable"/>) runs while
    /// any is outstanding; any other first waits for them, so it sees what they wrote as it would have before
    /// (readers see stream entries once durable). Read loop only.
    /// </summary>
    private readonly Queue<Task> _writesAwaitingDurability = new();

    /// <summary>Fires when the socket closes, so a blocked command (XREAD BLOCK) stops waiting for it.</summary>
    internal CancellationToken Closed => _transport.ConnectionClosed;

    /// <summary>Fires when the server asks the connection to close (graceful shutdown); a blocked command gives up.</summary>
    internal CancellationToken CloseRequested =>
        _transport.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;

    public RespConnection(RespFrontend frontend, ConnectionContext transport)
    {
        _frontend = frontend;
        _transport = transport;
        _reader = new RespReader(frontend.Options.RequestLimits);
        _writer = new RespWriter(_output);
        _sendReleasedReplies = () => _ = SendRepliesAsync().AsTask();
        _context = new RespCommandContext(frontend, this);
        Id = frontend.NextConnectionId();
        RemoteAddress = Describe(transport.RemoteEndPoint);
        LocalAddress = Describe(transport.LocalEndPoint);
        CreatedAt = frontend.Clock.GetUtcNow();
        _lastInteractionTicks = CreatedAt.UtcTicks;
        FileDescriptor = transport.Features.Get<IConnectionSocketFeature>()?.Socket.SafeHandle.DangerousGetHandle().ToInt64() ?? -1;
    }

    /// <summary>Redis's client id: unique while the node runs, from 1.</summary>
    public long Id { get; }

    /// <summary><c>ip:port</c> of the client.</summary>
    public string RemoteAddress { get; }

    /// <summary><c>ip:port</c> the client connected to.</summary>
    public string LocalAddress { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>The socket's descriptor, or -1 off a socket transport (CLIENT LIST's fd).</summary>
    public long FileDescriptor { get; }

    public DateTimeOffset LastInteraction => new(Interlocked.Read(ref _lastInteractionTicks), TimeSpan.Zero);

    /// <summary>CLIENT SETNAME; null when unnamed. Read loop only, read by others for CLIENT LIST.</summary>
    public byte[]? Name { get; set; }

    /// <summary>CLIENT SETINFO LIB-NAME; survives RESET, as in Redis.</summary>
    public byte[]? LibraryName { get; set; }

    /// <summary>CLIENT SETINFO LIB-VER.</summary>
    public byte[]? LibraryVersion { get; set; }

    /// <summary>Full name of the last command run (<c>client|list</c>), for CLIENT LIST's cmd field.</summary>
    public string LastCommand { get; private set; } = "NULL";

    public long CommandsProcessed => Interlocked.Read(ref _commandsProcessed);

    public long InputBytes => Interlocked.Read(ref _inputBytes);

    public long ErrorReplies => Interlocked.Read(ref _errorReplies);

    /// <summary>Bytes of the request being parsed (Redis's qbuf, approximately).</summary>
    public int PendingRequestBytes => _reader.Request.TotalBytes;

    /// <summary>Stops the read loop after the current command: its reply is still sent (QUIT, CLIENT KILL of itself).</summary>
    public void CloseAfterReply() => _closeRequested = true;

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync()
    {
        _frontend.Register(this);
        var writeLoop = WriteLoopAsync();
        // A graceful stop asks every connection to close: an idle client would otherwise hold the server up until
        // Kestrel's shutdown timeout. The command in progress still finishes and sends its reply.
        using var stopping = CloseRequested.Register(static state =>
        {
            var connection = (RespConnection)state!;
            connection._closeRequested = true;
            connection._transport.Transport.Input.CancelPendingRead();
        }, this);
        try
        {
            await ReadLoopAsync();
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            // The client went away or was killed; nothing to report.
        }
        catch (Exception e)
        {
            _frontend.Logger.LogError(e, "RESP connection {Id} from {Address} failed; closing it", Id, RemoteAddress);
        }
        finally
        {
            await ShutDownAsync(writeLoop);
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Transport.Input;
        while (!_closeRequested)
        {
            var result = await input.ReadAsync();
            // As Redis's lastinteraction: stamped per read, not per command (a clock read each would show in a profile).
            Interlocked.Exchange(ref _lastInteractionTicks, _frontend.Clock.GetUtcNow().UtcTicks);
            var buffer = result.Buffer;
            var received = buffer.Length;
            try
            {
                while (!_closeRequested && _reader.TryRead(ref buffer))
                {
                    await ExecuteAsync(_reader.Request);
                    if (IsOverReplyBudget())
                    {
                        // Push back on a client that pipelines faster than it reads its replies.
                        await WaitForOutputToDrainAsync();
                    }
                }
            }
            catch (RespProtocolException e)
            {
                ReportProtocolError(e, buffer);
                _closeRequested = true;
            }
            Interlocked.Add(ref _inputBytes, received - buffer.Length);
            input.AdvanceTo(buffer.Start, buffer.End);
            // One send, and so one flush, per read batch however many replies it produced.
            await SendRepliesAsync();
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }
    }

    private ValueTask ExecuteAsync(RespRequest request)
    {
        Interlocked.Increment(ref _commandsProcessed);
        var entry = _frontend.Commands.Resolve(request, _context, InSubscribedMode && !IsResp3, _frontend.Alarms.Active);
        if (entry is null)
        {
            return ValueTask.CompletedTask;
        }
        LastCommand = entry.Spec.Name;
        while (_writesAwaitingDurability.TryPeek(out var write) && write.IsCompleted)
        {
            _writesAwaitingDurability.Dequeue();
        }
        if (_writesAwaitingDurability.Count > 0 && !entry.RunsBeforeEarlierWritesAreDurable)
        {
            return RunAfterEarlierWritesAsync(entry);
        }
        return entry.Handler!(_context);
    }

    private async ValueTask RunAfterEarlierWritesAsync(RespCommandEntry entry)
    {
        while (_writesAwaitingDurability.TryDequeue(out var write))
        {
            // A failed write closes the connection (the write loop sees it); this command just runs after it.
            await write.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await entry.Handler!(_context);
    }

    /// <summary>Counts an error reply for INFO (total_error_replies).</summary>
    internal void CountErrorReply() => Interlocked.Increment(ref _errorReplies);

    /// <summary>
    /// Redis replies <c>-ERR Protocol error: ...</c>, closes after the reply, and logs the client and a sample of the
    /// input; Herald logs one line with the same facts.
    /// </summary>
    private void ReportProtocolError(RespProtocolException error, ReadOnlySequence<byte> unread)
    {
        _frontend.Statistics.ProtocolError();
        if (error.ReplyToClient)
        {
            using (BeginReply(out var writer))
            {
                writer.WriteError("ERR " + error.Message);
            }
            Interlocked.Increment(ref _errorReplies);
        }
        Span<byte> sample = stackalloc byte[32];
        var length = (int)Math.Min(sample.Length, unread.Length);
        unread.Slice(0, length).CopyTo(sample);
        _frontend.Logger.LogInformation(
            "RESP protocol error from client id={Id} addr={Address}: {Error}; closing the connection (next bytes: '{Sample}')",
            Id, RemoteAddress, error.Message, Printable(sample[..length]));
    }

    private async Task ShutDownAsync(Task writeLoop)
    {
        LeaveAllChannels();
        CompleteOutput();
        try
        {
            await writeLoop;
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            // Nothing left to deliver to.
        }
        _frontend.Unregister(this);
        _frontend.Statistics.ConnectionClosed(CommandsProcessed, InputBytes, OutputBytes, ErrorReplies);
        _reader.Dispose();
        await _transport.Transport.Input.CompleteAsync();
        await _transport.Transport.Output.CompleteAsync();
    }

    private static bool IsDisconnect(Exception e) =>
        e is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException;

    private static string Describe(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}",
        null => "?:0",
        _ => endPoint.ToString() ?? "?:0",
    };

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = bytes[i] is >= 0x20 and < 0x7f ? (char)bytes[i] : '.';
        }
        return new string(chars);
    }
}
