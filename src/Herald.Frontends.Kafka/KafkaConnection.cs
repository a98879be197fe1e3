using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Herald.Broker.Resources;
using Herald.Protocols.Kafka;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Kafka;

/// <summary>
/// One client connection: two loops (STYLE.md "Two loops per connection").
/// <list type="bullet">
/// <item>The read loop splits the input into frames (<see cref="KafkaFrameReader"/>, bounded by
/// <see cref="KafkaFrontendOptions.MaxRequestBytes"/>), parses each and runs its handler, one request at a time in
/// arrival order, then queues the reply. A frame that lies in one input segment is parsed where it lies and the
/// input is advanced past it once its handler is done; one split across segments is copied into a pooled buffer
/// first.</item>
/// <item>The write loop takes replies in the same order, waits for those still pending (a produce awaiting
/// durability, a long-polling fetch), encodes each once (size first, then one span) and flushes when it runs out of
/// ready replies.</item>
/// </list>
/// The queue between them holds at most <see cref="KafkaFrontendOptions.MaxInFlightRequests"/> replies; when it is
/// full the read loop stops reading and TCP pushes back on the client. Malformed frames, unknown API keys and
/// unsupported versions (other than ApiVersions, which answers error 35) close this connection with one log line;
/// other connections are unaffected, as in Kafka.
///
/// Lifetime: from <see cref="RunAsync"/> to its return; both loops are done then. Not shared between threads
/// except through the queue.
/// </summary>
internal sealed class KafkaConnection : IDisposable
{
    /// <summary>
    /// Frames larger than this that are not yet complete are assembled in a buffer of their own rather than left in
    /// the transport's input pipe, which stops reading at about 1 MiB of unconsumed data (Kestrel's default
    /// <c>MaxReadBufferSize</c>, which the host's large-receive transport keeps): a bigger frame would otherwise wait
    /// forever for bytes the pipe will not take in.
    /// </summary>
    private const int LargeFrameBytes = 256 * 1024;

    /// <summary>Flush before this many encoded bytes pile up, even when more replies are ready.</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    private readonly ConnectionContext _connection;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly IKafkaWholeFrameFeature? _wholeFrames;
    /// <summary>The frames of one input read: in place, or copied into <c>Rented</c> (returned once handled).</summary>
    private readonly List<(ReadOnlyMemory<byte> Frame, byte[]? Rented)> _frames = [];
    private byte[]? _largeFrame;
    private int _largeFrameLength;
    private int _largeFrameFilled;

    public KafkaConnection(ConnectionContext connection, Broker.Broker broker, KafkaFrontendOptions options, KafkaApiTable apis,
        ResourceAlarms alarms, ILogger logger)
    {
        _connection = connection;
        Broker = broker;
        Alarms = alarms;
        Options = options;
        Apis = apis;
        _logger = logger;
        _wholeFrames = connection.Features.Get<IKafkaWholeFrameFeature>();
        AdvertisedEndpoint = ResolveAdvertisedEndpoint(connection.LocalEndPoint as IPEndPoint, options);
        ClientHost = FormatClientHost(connection.RemoteEndPoint);
        // Taken once: pending replies may still look at it after the source is disposed (it is cancelled first).
        Closing = _closing.Token;
    }

    public Broker.Broker Broker { get; }

    /// <summary>The node's memory and disk alarms: produce requests wait while any is in effect.</summary>
    public ResourceAlarms Alarms { get; }

    public KafkaFrontendOptions Options { get; }

    public KafkaApiTable Apis { get; }

    public CancellationToken Closing { get; }

    public (string Host, int Port) AdvertisedEndpoint { get; }

    /// <summary>The peer's address as Kafka reports it in DescribeGroups (Java's InetAddress.toString: "/127.0.0.1").</summary>
    public string ClientHost { get; }

    private static string FormatClientHost(EndPoint? remote) => remote switch
    {
        IPEndPoint ip => "/" + (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address),
        null => "",
        _ => remote.ToString() ?? "",
    };

    public async Task RunAsync()
    {
        var queue = Channel.CreateBounded<InFlightRequest>(new BoundedChannelOptions(Options.MaxInFlightRequests)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var writeLoop = WriteLoopAsync(queue.Reader);
        try
        {
            await ReadLoopAsync(queue.Writer);
        }
        catch (OperationCanceledException)
        {
            // Shutdown asked the connection to close, or the write loop gave up: stop reading.
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException)
        {
            // The client went away mid-read.
        }
        finally
        {
            queue.Writer.TryComplete();
            ReturnLargeFrame();
            // Pending long polls answer at once with what they have, so the write loop can finish.
            await _closing.CancelAsync();
        }
        await writeLoop;
    }

    public void Dispose() => _closing.Dispose();

    private async Task ReadLoopAsync(ChannelWriter<InFlightRequest> queue)
    {
        var input = _connection.Transport.Input;
        // Kestrel's shutdown asks connections to close through this feature before it aborts them.
        var closeRequested = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(closeRequested, _closing.Token);
        while (true)
        {
            var result = await input.ReadAsync(stop.Token);
            var buffer = result.Buffer;
            try
            {
                if (!TakeFrames(ref buffer))
                {
                    return;
                }
                for (var i = 0; i < _frames.Count; i++)
                {
                    var request = await HandleFrameAsync(_frames[i].Frame);
                    if (request is not { } queued)
                    {
                        continue;
                    }
                    await queue.WriteAsync(queued, stop.Token);
                    if (queued.Reply.Kind == KafkaReplyKind.Close)
                    {
                        return;
                    }
                }
            }
            finally
            {
                // Only now: frames parsed in place lie in the input until their handlers are done with them.
                ReturnFrames();
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Slices every complete frame off <paramref name="buffer"/> into <see cref="_frames"/>: in place when it lies in
    /// one segment, else copied into a pooled buffer. A large frame still arriving is assembled in a buffer of its
    /// own (<see cref="_largeFrame"/>), unless the transport delivers it whole (<see cref="IKafkaWholeFrameFeature"/>)
    /// and none of its body is here yet. Returns false when the connection must close (a size prefix out of range).
    /// </summary>
    private bool TakeFrames(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (_largeFrame is not null)
            {
                var take = (int)Math.Min(_largeFrameLength - _largeFrameFilled, buffer.Length);
                buffer.Slice(0, take).CopyTo(_largeFrame.AsSpan(_largeFrameFilled));
                buffer = buffer.Slice(take);
                _largeFrameFilled += take;
                if (_largeFrameFilled < _largeFrameLength)
                {
                    return true;
                }
                _frames.Add((_largeFrame.AsMemory(0, _largeFrameLength), _largeFrame));
                _largeFrame = null;
                continue;
            }
            ReadOnlySequence<byte> frame;
            try
            {
                if (!KafkaFrameReader.TryReadFrame(ref buffer, Options.MaxRequestBytes, out frame))
                {
                    if (TryPeekSize(buffer, out var size) && size >= LargeFrameBytes && !ArrivesWhole(buffer, size))
                    {
                        // Rented buffer returned by ReadLoopAsync after the request is handled, or by ReturnLargeFrame.
                        _largeFrame = ArrayPool<byte>.Shared.Rent(size);
                        _largeFrameLength = size;
                        _largeFrameFilled = 0;
                        buffer = buffer.Slice(KafkaFrameReader.SizePrefixBytes);
                        continue;
                    }
                    return true;
                }
            }
            catch (KafkaProtocolException e)
            {
                LogBadRequest(e.Message);
                buffer = buffer.Slice(buffer.End);
                return false;
            }
            if (frame.IsSingleSegment)
            {
                _frames.Add((frame.First, null));
                continue;
            }
            // Rented here; returned by ReadLoopAsync once the handler is done.
            var copy = ArrayPool<byte>.Shared.Rent((int)frame.Length);
            frame.CopyTo(copy);
            _frames.Add((copy.AsMemory(0, (int)frame.Length), copy));
        }
    }

    /// <summary>Whether the transport will hand over this frame's body in one piece: only its size prefix is here.</summary>
    private bool ArrivesWhole(in ReadOnlySequence<byte> buffer, int size) =>
        _wholeFrames is { } whole && buffer.Length == KafkaFrameReader.SizePrefixBytes
        && size >= whole.MinWholeBodyBytes && size <= whole.MaxWholeBodyBytes;

    private static bool TryPeekSize(ReadOnlySequence<byte> buffer, out int size)
    {
        if (buffer.Length < KafkaFrameReader.SizePrefixBytes)
        {
            size = 0;
            return false;
        }
        Span<byte> prefix = stackalloc byte[KafkaFrameReader.SizePrefixBytes];
        buffer.Slice(0, KafkaFrameReader.SizePrefixBytes).CopyTo(prefix);
        size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }

    /// <summary>
    /// Parses one frame and runs its handler. Returns the reply to queue, null for no reply (acks=0), or a close
    /// reply for requests Kafka answers by closing the connection.
    /// </summary>
    private async ValueTask<InFlightRequest?> HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        KafkaApiHandler? handler;
        RequestHeader header;
        IKafkaMessage request;
        try
        {
            if (!TryParse(frame, out handler, out header, out request, out var early))
            {
                return early;
            }
        }
        catch (KafkaProtocolException e)
        {
            return CloseWith($"malformed request: {e.Message}");
        }
        KafkaReply reply;
        try
        {
            reply = await handler.HandleAsync(new KafkaRequestContext(this, header), request);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Kafka connection {ConnectionId}: {Api} v{Version} failed; closing the connection",
                _connection.ConnectionId, handler.ApiKey, header.RequestApiVersion);
            return CloseWith(null);
        }
        if (reply.Kind == KafkaReplyKind.None)
        {
            return null;
        }
        if (reply.Kind == KafkaReplyKind.Close)
        {
            LogBadRequest(reply.CloseReason!);
        }
        return new InFlightRequest(header.CorrelationId, ApiMessageTypes.Get(handler.ApiKey), header.RequestApiVersion, reply);
    }

    private bool TryParse(ReadOnlyMemory<byte> frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out KafkaApiHandler? handler,
        out RequestHeader header, out IKafkaMessage request, out InFlightRequest? early)
    {
        var reader = new KafkaReader(frame);
        header = null!;
        request = null!;
        if (frame.Length < 4)
        {
            throw new KafkaProtocolException($"A request of {frame.Length} bytes has no header.");
        }
        var apiKey = reader.PeekInt16(0);
        var apiVersion = reader.PeekInt16(2);
        if (!Apis.TryGet(apiKey, out handler))
        {
            early = CloseWith($"unsupported API key {apiKey} (v{apiVersion})");
            return false;
        }
        header = RequestHeader.ReadFrom(ref reader, out _);
        if (!handler.Versions.Contains(apiVersion))
        {
            if (handler.ApiKey == ApiKey.ApiVersions)
            {
                // KIP-511: a newer ApiVersions gets error 35 in the v0 layout, so the client can retry lower.
                var reply = KafkaReply.Ready(Handlers.ApiVersionsHandler.UnsupportedVersionResponse(handler.Versions));
                early = new InFlightRequest(header.CorrelationId, ApiMessageTypes.Get(ApiKey.ApiVersions), 0, reply);
                return false;
            }
            early = CloseWith($"unsupported version {apiVersion} of {handler.ApiKey} (serving {handler.Versions})");
            return false;
        }
        request = handler.Parse(ref reader, apiVersion);
        early = null;
        return true;
    }

    /// <summary>A reply that closes the connection once earlier replies are out; logs the one line about why.</summary>
    private InFlightRequest CloseWith(string? reason)
    {
        if (reason is not null)
        {
            LogBadRequest(reason);
        }
        return new InFlightRequest(0, ApiMessageTypes.Get(ApiKey.ApiVersions), 0, KafkaReply.Close(reason ?? "handler failure"));
    }

    private void LogBadRequest(string reason) =>
        _logger.LogWarning("Kafka connection {ConnectionId} from {Remote} closed: {Reason}",
            _connection.ConnectionId, _connection.RemoteEndPoint, reason);

    private async Task WriteLoopAsync(ChannelReader<InFlightRequest> queue)
    {
        var output = _connection.Transport.Output;
        try
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryPeek(out var next))
                {
                    if (next.Reply.Kind == KafkaReplyKind.Pending && !next.Reply.Pending!.IsCompleted && output.UnflushedBytes > 0)
                    {
                        // Send what is ready before waiting on a slow reply.
                        if ((await output.FlushAsync()).IsCompleted)
                        {
                            return;
                        }
                    }
                    queue.TryRead(out var item);
                    if (item.Reply.Kind == KafkaReplyKind.Close)
                    {
                        await output.FlushAsync();
                        _connection.Abort(new ConnectionAbortedException(item.Reply.CloseReason ?? "closed"));
                        return;
                    }
                    var response = item.Reply.Kind == KafkaReplyKind.Pending ? await item.Reply.Pending! : item.Reply.Response;
                    try
                    {
                        Write(output, item, response);
                    }
                    finally
                    {
                        response.Lease?.Dispose();
                    }
                    if (output.UnflushedBytes >= FlushThresholdBytes && (await output.FlushAsync()).IsCompleted)
                    {
                        return;
                    }
                }
                if ((await output.FlushAsync()).IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (e is not (OperationCanceledException or IOException or ConnectionResetException or ConnectionAbortedException))
            {
                _logger.LogError(e, "Kafka connection {ConnectionId}: writing a response failed; closing the connection",
                    _connection.ConnectionId);
            }
            _connection.Abort(new ConnectionAbortedException("Writing a response failed."));
        }
        finally
        {
            await _closing.CancelAsync();
            ReleaseUnwritten(queue);
        }
    }

    /// <summary>
    /// Encodes one response frame: <c>int32 size</c>, the response header (v0: correlation id; v1 adds an empty
    /// tagged-field section), then the body, sized first and written into one span.
    /// </summary>
    private static void Write(PipeWriter output, InFlightRequest item, KafkaResponse response)
    {
        var headerBytes = item.Api.GetResponseHeaderVersion(item.Version) >= 1 ? 5 : 4;
        var frameBytes = headerBytes + response.Body.GetSize(item.Version);
        var total = KafkaFrameReader.SizePrefixBytes + frameBytes;
        var writer = new KafkaWriter(output.GetSpan(total)[..total]);
        writer.WriteInt32(frameBytes);
        writer.WriteInt32(item.CorrelationId);
        if (headerBytes == 5)
        {
            writer.WriteUnsignedVarInt(0);
        }
        response.Body.Write(ref writer, item.Version);
        output.Advance(total);
    }

    /// <summary>Releases what queued replies hold when the connection ends before writing them.</summary>
    private static void ReleaseUnwritten(ChannelReader<InFlightRequest> queue)
    {
        while (queue.TryRead(out var item))
        {
            item.Reply.Response.Lease?.Dispose();
            item.Reply.Pending?.ContinueWith(static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Lease?.Dispose();
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Returns the copied frames of the last read (the large frame being assembled stays).</summary>
    private void ReturnFrames()
    {
        foreach (var (_, rented) in _frames)
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        _frames.Clear();
    }

    private void ReturnLargeFrame()
    {
        if (_largeFrame is not null)
        {
            ArrayPool<byte>.Shared.Return(_largeFrame);
            _largeFrame = null;
        }
    }

    private static (string Host, int Port) ResolveAdvertisedEndpoint(IPEndPoint? local, KafkaFrontendOptions options)
    {
        var port = options.AdvertisedPort ?? local?.Port ?? 9092;
        if (options.AdvertisedHost is { Length: > 0 } host)
        {
            return (host, port);
        }
        var address = options.BindAddress;
        if ((address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) && local is not null)
        {
            address = local.Address.IsIPv4MappedToIPv6 ? local.Address.MapToIPv4() : local.Address;
        }
        return (address.ToString(), port);
    }

    /// <summary>A reply waiting to be written, with what the response header needs.</summary>
    private readonly record struct InFlightRequest(int CorrelationId, ApiMessageType Api, short Version, KafkaReply Reply);
}
