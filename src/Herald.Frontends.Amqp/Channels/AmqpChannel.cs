using System.Buffers;
using Herald.Frontends.Amqp.Connections;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Channels;

/// <summary>
/// One open AMQP channel: its number, its state in the channel state machine, the content it is assembling, and the
/// ways to send frames on it. Created by the connection on channel.open and dropped on close-ok (or with the
/// connection). State changes belong to the connection's read loop; the send methods are thread-safe (they go
/// through the connection's serialized output), so a consumer can deliver from another thread.
/// </summary>
public sealed class AmqpChannel
{
    /// <summary>First size of a body buffer: a body up to this size takes one rent.</summary>
    private const int InitialBodyBufferBytes = 64 * 1024;

    private readonly AmqpConnection _connection;
    private byte[]? _methodArguments;
    private int _methodArgumentsLength;
    private ushort _methodClassId;
    private ushort _methodId;
    private AmqpContentHeader _header;
    private byte[]? _body;
    private int _bodyReceived;

    internal AmqpChannel(AmqpConnection connection, ushort number)
    {
        _connection = connection;
        Number = number;
        Methods = connection.Frontend.ChannelMethods(this);
    }

    public ushort Number { get; }

    /// <summary>The virtual host the connection opened.</summary>
    public string VirtualHost => _connection.VirtualHost;

    /// <summary>The authenticated user.</summary>
    public string UserName => _connection.UserName;

    public Herald.Broker.Broker Broker => _connection.Frontend.Broker;

    /// <summary>The connection: owner of exclusive queues and direct reply-to queues.</summary>
    internal AmqpConnection Connection => _connection;

    /// <summary>False after the client sent channel.flow(active=false): deliveries to this channel should pause.</summary>
    public bool IsFlowActive { get; internal set; } = true;

    /// <summary>True from channel.open-ok until either side starts closing the channel.</summary>
    public bool IsOpen => State == AmqpChannelState.Open;

    /// <summary>
    /// True while the connection's output holds more unsent data than it should (the client reads too slowly): stop
    /// producing deliveries until <see cref="WhenOutputDrained"/> completes.
    /// </summary>
    public bool IsOutputBackedUp => _connection.Output.IsBackedUp;

    /// <summary>Completes once the connection's output has drained (at once when it is not backed up) or closed.</summary>
    public Task WhenOutputDrained() => _connection.Output.WhenDrained();

    /// <summary>The negotiated frame-max, for callers that size content themselves.</summary>
    public uint FrameMax => _connection.Output.FrameMax;

    internal AmqpChannelState State { get; set; } = AmqpChannelState.Open;

    internal AmqpChannelMethods Methods { get; }

    internal AmqpContentState ContentState { get; private set; }

    /// <summary>Sends a method frame (a reply, basic.ack for a confirm, basic.cancel, ...).</summary>
    /// <remarks>
    /// <paramref name="flush"/> false (pushes nobody awaits: confirms, cancel notifications) writes the frame and
    /// leaves the flush to a scheduled one that covers every frame written meanwhile.
    /// </remarks>
    public ValueTask SendMethodAsync<TMethod>(TMethod method, bool flush = true) where TMethod : struct, IAmqpMethod =>
        _connection.Output.SendMethodAsync(Number, method, flush);

    /// <summary>
    /// Sends a content-bearing method (basic.deliver, basic.get-ok, basic.return) with its content header and body
    /// frames as one unit, so no other frame on this connection lands between them. <paramref name="propertyBytes"/>
    /// are property flags and list as stored (see <see cref="AmqpContent.PropertyBytes"/>).
    /// </summary>
    public ValueTask SendContentAsync<TMethod>(TMethod method, ReadOnlyMemory<byte> propertyBytes, ReadOnlySequence<byte> body,
        bool flush = true)
        where TMethod : struct, IAmqpMethod =>
        _connection.Output.SendContentAsync(Number, method, propertyBytes, body, flush);

    /// <summary>
    /// The handler holds publishes: <see cref="AmqpChannelMethods.PublishPendingAsync"/> is called at the end of the
    /// current read, or before the next frame that is not part of a publish. Call it when the first one is held.
    /// </summary>
    public void HoldsPublishes() => _connection.HoldPublishes(this);

    /// <summary>Starts assembling content for a content-bearing method whose arguments are <paramref name="arguments"/>.</summary>
    internal void BeginContent(ushort classId, ushort methodId, ReadOnlySpan<byte> arguments)
    {
        _methodClassId = classId;
        _methodId = methodId;
        _methodArguments = ArrayPool<byte>.Shared.Rent(Math.Max(arguments.Length, 1));
        arguments.CopyTo(_methodArguments);
        _methodArgumentsLength = arguments.Length;
        ContentState = AmqpContentState.ExpectingHeader;
    }

    /// <summary>Takes the content header; true when the body is empty and the content is complete.</summary>
    internal bool AcceptHeader(AmqpContentHeader header, ulong maxMessageSizeBytes)
    {
        if (header.ClassId != _methodClassId)
        {
            throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame,
                $"expected content header for class {_methodClassId}, got one for class {header.ClassId}", _methodClassId, _methodId);
        }
        if (header.BodySize > maxMessageSizeBytes)
        {
            ResetContent();
            throw new AmqpChannelException(AmqpReplyCode.PreconditionFailed,
                $"message size {header.BodySize} is larger than configured max size {maxMessageSizeBytes}", _methodClassId, _methodId);
        }
        _header = header;
        // The buffer grows with the frames that actually arrive, so announcing a large body reserves nothing.
        _body = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(header.BodySize, 1, InitialBodyBufferBytes));
        _bodyReceived = 0;
        ContentState = AmqpContentState.ExpectingBody;
        return header.BodySize == 0;
    }

    /// <summary>Appends a body frame; true when the body is complete.</summary>
    internal bool AcceptBody(ReadOnlySequence<byte> payload)
    {
        if ((ulong)_bodyReceived + (ulong)payload.Length > _header.BodySize)
        {
            throw new AmqpConnectionException(AmqpReplyCode.UnexpectedFrame,
                $"content body of more than the {_header.BodySize} bytes its header announced", _methodClassId, _methodId);
        }
        var needed = _bodyReceived + (int)payload.Length;
        if (needed > _body!.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max((long)_body.Length * 2, needed), (long)_header.BodySize));
            _body.AsSpan(0, _bodyReceived).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_body);
            _body = larger;
        }
        payload.CopyTo(_body.AsSpan(_bodyReceived));
        _bodyReceived += (int)payload.Length;
        return (ulong)_bodyReceived == _header.BodySize;
    }

    /// <summary>Hands the completed content method to <see cref="Methods"/>, then releases the buffers.</summary>
    internal async ValueTask DispatchContentAsync()
    {
        try
        {
            var content = new AmqpContent(_header.ClassId, _header.PropertyBytes, _body.AsMemory(0, _bodyReceived));
            await DispatchAsync(_methodClassId, _methodId, _methodArguments.AsMemory(0, _methodArgumentsLength), content);
        }
        finally
        {
            ResetContent();
        }
    }

    /// <summary>Decodes and runs a channel-level method; false when it is not one a channel handler takes.</summary>
    internal ValueTask DispatchAsync(ushort classId, ushort methodId, ReadOnlyMemory<byte> arguments, AmqpContent? content)
    {
        var reader = new AmqpReader(arguments.Span);
        if (!Methods.TryDispatch(classId, methodId, ref reader, content, out var handled))
        {
            throw new AmqpConnectionException(AmqpReplyCode.CommandInvalid,
                $"{AmqpMethodInfo.Name(classId, methodId)} is not a method a client sends on a channel", classId, methodId);
        }
        return handled;
    }

    /// <summary>Drops any half-assembled content and returns its buffers to the pool.</summary>
    internal void ResetContent()
    {
        if (_methodArguments is not null)
        {
            ArrayPool<byte>.Shared.Return(_methodArguments);
            _methodArguments = null;
        }
        if (_body is not null)
        {
            ArrayPool<byte>.Shared.Return(_body);
            _body = null;
        }
        _header = default;
        ContentState = AmqpContentState.None;
    }
}

internal enum AmqpChannelState
{
    Open,

    /// <summary>The server sent channel.close and waits for close-ok; every other frame is ignored (spec 2.3.5).</summary>
    Closing,
}

internal enum AmqpContentState
{
    None,
    ExpectingHeader,
    ExpectingBody,
}
