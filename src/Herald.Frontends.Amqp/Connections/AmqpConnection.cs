using System.Buffers;
using System.IO.Pipelines;
using Herald.Frontends.Amqp.Channels;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// One client connection and its state machine (spec section 2.2.4 and RabbitMQ's rabbit_reader):
/// <c>protocol header → start/start-ok → tune/tune-ok → open/open-ok → open → closing</c>. The read loop (this file)
/// splits frames and runs them in order; the handshake is in <c>AmqpConnection.Handshake.cs</c>, channel frames in
/// <c>AmqpConnection.Channels.cs</c>, heartbeats in <c>AmqpConnection.Heartbeat.cs</c>, memory and disk alarms
/// (connection.blocked) in <c>AmqpConnection.Blocking.cs</c>. Every outgoing frame goes through <see cref="Output"/>.
/// <para>
/// Errors follow the spec: a hard error (frame error, channel error, unexpected frame, not implemented, ...) sends
/// connection.close with its reply code, then every frame but close/close-ok is ignored until the client answers
/// or <see cref="AmqpFrontendOptions.CloseTimeout"/> passes; a soft error closes only its channel. Each bad client
/// costs one log line; other connections never notice. Created per accepted connection by
/// <see cref="AmqpConnectionHandler"/>; lives until <see cref="RunAsync"/> returns. Not thread-safe except
/// <see cref="Output"/>: everything else belongs to the read loop.
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns and releases its token sources; see the summary.")]
internal sealed partial class AmqpConnection
{
    private readonly ConnectionContext _transport;
    private readonly Dictionary<ushort, AmqpChannel> _channels = [];
    private readonly CancellationTokenSource _lifetime = new();
    private CancellationTokenSource _readDeadline;
    private ConnectionPhase _phase = ConnectionPhase.AwaitingStartOk;
    private uint _frameMaxIn;
    private ushort _channelMax;
    private byte[]? _scratch;
    private long _lastReceiveTimestamp;
    private Task? _heartbeatLoop;

    public AmqpConnection(AmqpFrontend frontend, ConnectionContext transport)
    {
        Frontend = frontend;
        _transport = transport;
        Id = frontend.NextConnectionId();
        Output = new AmqpConnectionOutput(transport.Transport.Output, frontend.Clock) { FrameMax = frontend.Options.FrameMax };
        _frameMaxIn = frontend.Options.FrameMax;
        _channelMax = frontend.Options.ChannelMax;
        _readDeadline = NewDeadline(frontend.Options.HandshakeTimeout);
        _lastReceiveTimestamp = frontend.Clock.GetTimestamp();
    }

    public long Id { get; }

    public AmqpFrontend Frontend { get; }

    public AmqpConnectionOutput Output { get; }

    public string VirtualHost { get; private set; } = "";

    public string UserName { get; private set; } = "";

    private ILogger Logger => Frontend.Logger;

    private string Remote => _transport.RemoteEndPoint?.ToString() ?? "?";

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (await ReadProtocolHeaderAsync())
            {
                await SendStartAsync();
                await ReadFramesAsync();
            }
        }
        catch (OperationCanceledException) when (_readDeadline.IsCancellationRequested)
        {
            if (_phase < ConnectionPhase.Open)
            {
                Logger.LogWarning("AMQP connection {Id} from {Remote}: closing, handshake not completed within {Timeout}", Id, Remote, Frontend.Options.HandshakeTimeout);
            }
        }
        catch (AmqpProtocolException) when (_phase == ConnectionPhase.Closing)
        {
            // The stream was already broken and the close sent; nothing more to say.
        }
        catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            Logger.LogError(e, "AMQP connection {Id} from {Remote} failed; closing it", Id, Remote);
        }
        finally
        {
            await ShutDownAsync();
        }
    }

    private async ValueTask<bool> ReadProtocolHeaderAsync()
    {
        var input = _transport.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(_readDeadline.Token);
            var buffer = result.Buffer;
            if (AmqpProtocolHeader.TryRead(ref buffer, out var supported))
            {
                input.AdvanceTo(buffer.Start);
                if (!supported)
                {
                    // Spec 4.2.2: answer with the protocol header we do speak, then close.
                    Logger.LogWarning("AMQP connection {Id} from {Remote}: unsupported protocol header; replied with AMQP 0-9-1 and closed", Id, Remote);
                    await Output.SendProtocolHeaderAsync();
                    return false;
                }
                return true;
            }
            if (result.IsCompleted)
            {
                return false;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task ReadFramesAsync()
    {
        var input = _transport.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(_readDeadline.Token);
            if (result.IsCanceled && _heartbeatTimedOut)
            {
                return;
            }
            Interlocked.Exchange(ref _lastReceiveTimestamp, Frontend.Clock.GetTimestamp());
            var buffer = result.Buffer;
            var keepGoing = true;
            try
            {
                while (keepGoing)
                {
                    AmqpFrame frame;
                    try
                    {
                        if (!AmqpFrameReader.TryReadFrame(ref buffer, _frameMaxIn, out frame))
                        {
                            break;
                        }
                    }
                    catch (AmqpProtocolException e) when (_phase != ConnectionPhase.Closing)
                    {
                        // A bad frame header or end: the stream cannot be resynchronized, so the rest is dropped.
                        buffer = buffer.Slice(buffer.End);
                        await BeginCloseAsync(e.ReplyCode, $"{AmqpReplyCodes.Name(e.ReplyCode)} - {e.Message}", 0, 0);
                        break;
                    }
                    if (_channelsHoldingPublishes.Count > 0 && !IsPartOfPublish(frame))
                    {
                        keepGoing = await PublishHeldGuardedAsync();
                    }
                    if (keepGoing)
                    {
                        keepGoing = await HandleFrameGuardedAsync(frame);
                    }
                }
                if (keepGoing && _channelsHoldingPublishes.Count > 0)
                {
                    // Every complete frame of this read is handled: what it published is stored together now.
                    keepGoing = await PublishHeldGuardedAsync();
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (!keepGoing || result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Runs one frame; connection-level failures become connection.close. False ends the connection.</summary>
    private async ValueTask<bool> HandleFrameGuardedAsync(AmqpFrame frame)
    {
        try
        {
            return await HandleFrameAsync(frame);
        }
        catch (Exception e) when (IsFailureToReport(e))
        {
            await CloseForFailureAsync(e, frame.Channel);
            return true;
        }
    }

    /// <summary>Publishes what the channels hold (see <see cref="HoldPublishes"/>), with the same failure handling as a frame.</summary>
    private async ValueTask<bool> PublishHeldGuardedAsync()
    {
        try
        {
            await PublishHeldAsync();
            return true;
        }
        catch (Exception e) when (IsFailureToReport(e))
        {
            await CloseForFailureAsync(e, 0);
            return true;
        }
    }

    private bool IsFailureToReport(Exception e) =>
        _phase != ConnectionPhase.Closing && e is not (OperationCanceledException or IOException or ConnectionResetException);

    private ValueTask CloseForFailureAsync(Exception e, ushort channel)
    {
        switch (e)
        {
            case AmqpException amqp:
                return BeginCloseAsync(amqp.ReplyCode, amqp.ReplyText, amqp.ClassId, amqp.MethodId);
            case AmqpProtocolException protocol:
                // Malformed arguments inside a well-framed method (502 SYNTAX_ERROR) or content header (501).
                return BeginCloseAsync(protocol.ReplyCode, $"{AmqpReplyCodes.Name(protocol.ReplyCode)} - {protocol.Message}", 0, 0);
            default:
                // A bug in a handler: the client hears 541 INTERNAL_ERROR, the log gets the stack trace.
                Logger.LogError(e, "AMQP connection {Id} from {Remote}: handling a frame on channel {Channel} failed", Id, Remote, channel);
                return BeginCloseAsync(AmqpReplyCode.InternalError, "INTERNAL_ERROR", 0, 0);
        }
    }

    private ValueTask<bool> HandleFrameAsync(AmqpFrame frame)
    {
        if (frame.Type is not (AmqpConstants.FrameMethod or AmqpConstants.FrameHeader or AmqpConstants.FrameBody or AmqpConstants.FrameHeartbeat))
        {
            throw new AmqpConnectionException(AmqpReplyCode.FrameError, $"unknown frame type {frame.Type}");
        }
        if (_phase == ConnectionPhase.Closing)
        {
            return HandleWhileClosingAsync(frame);
        }
        if (frame.Type == AmqpConstants.FrameHeartbeat)
        {
            if (frame.Channel != 0)
            {
                throw new AmqpConnectionException(AmqpReplyCode.FrameError, $"heartbeat frame on channel {frame.Channel}");
            }
            return ValueTask.FromResult(true);
        }
        if (_phase != ConnectionPhase.Open)
        {
            return HandleHandshakeFrameAsync(frame);
        }
        if (frame.Channel == 0)
        {
            return HandleConnectionMethodAsync(frame);
        }
        return HandleChannelFrameAsync(frame);
    }

    /// <summary>Spec 2.2.4: after sending connection.close, only close and close-ok matter.</summary>
    private async ValueTask<bool> HandleWhileClosingAsync(AmqpFrame frame)
    {
        if (frame.Type != AmqpConstants.FrameMethod || frame.Channel != 0)
        {
            return true;
        }
        var (classId, methodId, _) = ReadMethodHeader(frame.Payload);
        if (classId == ConnectionCloseOk.ProtocolClassId && methodId == ConnectionCloseOk.ProtocolMethodId)
        {
            return false;
        }
        if (classId == ConnectionClose.ProtocolClassId && methodId == ConnectionClose.ProtocolMethodId)
        {
            await Output.SendMethodAsync(0, new ConnectionCloseOk());
            return false;
        }
        return true;
    }

    private async ValueTask<bool> HandleConnectionMethodAsync(AmqpFrame frame)
    {
        if (frame.Type != AmqpConstants.FrameMethod)
        {
            throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame, $"content frame (type {frame.Type}) on channel 0");
        }
        var (classId, methodId, arguments) = ReadMethodHeader(frame.Payload);
        if (classId == ConnectionClose.ProtocolClassId && methodId == ConnectionClose.ProtocolMethodId)
        {
            var reader = new AmqpReader(arguments.Span);
            var close = ConnectionClose.Read(ref reader);
            if (close.ReplyCode != (ushort)AmqpReplyCode.ReplySuccess)
            {
                Logger.LogInformation("AMQP connection {Id} from {Remote}: client closed with {Code} {Text}", Id, Remote, close.ReplyCode, close.ReplyText);
            }
            await CloseAllChannelsAsync();
            await Output.SendMethodAsync(0, new ConnectionCloseOk());
            return false;
        }
        throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
            $"{AmqpMethodInfo.Name(classId, methodId)} is not expected on channel 0 of an open connection", classId, methodId);
    }

    /// <summary>
    /// Sends connection.close and enters the closing phase: channels end now, and the read loop waits at most
    /// <see cref="AmqpFrontendOptions.CloseTimeout"/> for the client's close-ok.
    /// </summary>
    private async ValueTask BeginCloseAsync(AmqpReplyCode code, string text, ushort classId, ushort methodId, string? detail = null)
    {
        // The one log line about this client: what it is told and, when the reply hides it, why.
        Logger.LogWarning("AMQP connection {Id} from {Remote}: closing with {Code} {Text}{Detail}", Id, Remote, (ushort)code, text,
            detail is null ? "" : $" ({detail})");
        _phase = ConnectionPhase.Closing;
        await CloseAllChannelsAsync();
        await Output.SendMethodAsync(0, new ConnectionClose
        {
            ReplyCode = (ushort)code,
            ReplyText = ShortText(text),
            ClassId = classId,
            MethodId = methodId,
        });
        var deadline = NewDeadline(Frontend.Options.CloseTimeout);
        var previous = Interlocked.Exchange(ref _readDeadline, deadline);
        previous.Dispose();
    }

    /// <summary>
    /// Splits a method frame's payload into class id, method id and arguments, checking that the spec defines the
    /// method (540 NOT_IMPLEMENTED otherwise, as the spec asks for unknown classes and methods).
    /// </summary>
    private (ushort ClassId, ushort MethodId, ReadOnlyMemory<byte> Arguments) ReadMethodHeader(ReadOnlySequence<byte> payload)
    {
        var bytes = Contiguous(payload);
        if (bytes.Length < 4)
        {
            throw new AmqpConnectionException(AmqpReplyCode.FrameError, $"method frame of {bytes.Length} bytes, too short for class and method ids");
        }
        var reader = new AmqpReader(bytes.Span);
        var classId = reader.ReadShort();
        var methodId = reader.ReadShort();
        if (AmqpMethodInfo.Name(classId, methodId) is null)
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotImplemented, $"unknown method (class {classId}, method {methodId})", classId, methodId);
        }
        return (classId, methodId, bytes[4..]);
    }

    /// <summary>The payload as one block: itself when it sits in one segment, else a copy in this connection's scratch buffer.</summary>
    private ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return payload.First;
        }
        var length = (int)payload.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            if (_scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
            }
            _scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        payload.CopyTo(_scratch);
        return _scratch.AsMemory(0, length);
    }

    private async ValueTask CloseAllChannelsAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.ResetContent();
            if (channel.State == AmqpChannelState.Open)
            {
                channel.State = AmqpChannelState.Closing;
                await channel.Methods.ClosedAsync();
            }
        }
        _channels.Clear();
    }

    private async ValueTask ShutDownAsync()
    {
        StopWatchingAlarms();
        await _lifetime.CancelAsync();
        try
        {
            await CloseAllChannelsAsync();
            await Messaging.BrokerChannelMethods.ConnectionClosedAsync(this);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "AMQP connection {Id}: releasing its channels failed", Id);
        }
        Output.Close();
        if (_heartbeatLoop is not null)
        {
            await _heartbeatLoop;
        }
        if (_scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = null;
        }
        _readDeadline.Dispose();
        _lifetime.Dispose();
    }

    private CancellationTokenSource NewDeadline(TimeSpan timeout)
    {
        var source = new CancellationTokenSource(timeout, Frontend.Clock);
        return source;
    }

    /// <summary>Reply texts are short strings: at most 255 bytes of UTF-8.</summary>
    private static string ShortText(string text)
    {
        var cut = Math.Min(text.Length, 255);
        while (System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, cut)) > 255)
        {
            cut--;
        }
        return text[..cut];
    }

    private enum ConnectionPhase
    {
        AwaitingStartOk,
        AwaitingTuneOk,
        AwaitingOpen,
        Open,
        Closing,
    }
}
