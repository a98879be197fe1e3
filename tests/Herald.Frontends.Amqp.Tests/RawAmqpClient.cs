using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// A hand-driven AMQP client over a raw socket, for the tests that must send what no real client would (bad frame
/// ends, oversized frames, frames on unopened channels) and check the server's exact reply. Uses Herald's codec to
/// encode and decode frames. One test owns it.
/// </summary>
internal sealed class RawAmqpClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;

    private RawAmqpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = PipeReader.Create(_stream);
    }

    /// <summary>A socket to the port; a non-zero <paramref name="receiveBufferBytes"/> fixes the kernel's receive buffer (no autotuning).</summary>
    public static async Task<RawAmqpClient> ConnectAsync(int port, int receiveBufferBytes = 0)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferBytes > 0)
        {
            tcp.ReceiveBufferSize = receiveBufferBytes;
        }
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawAmqpClient(tcp);
    }

    /// <summary>Connects and runs the whole handshake as guest, up to connection.open-ok.</summary>
    public static async Task<RawAmqpClient> OpenAsync(int port, ushort heartbeat = 0, ushort channelMax = 0, int receiveBufferBytes = 0)
    {
        var client = await ConnectAsync(port, receiveBufferBytes);
        await client.HandshakeAsync(heartbeat, channelMax);
        return client;
    }

    public async Task HandshakeAsync(ushort heartbeat = 0, ushort channelMax = 0, uint frameMax = 131072)
    {
        await SendAsync(AmqpProtocolHeader.Bytes.ToArray());
        await ExpectMethodAsync<ConnectionStart>(0);
        await SendMethodAsync(0, StartOk("PLAIN", "\0guest\0guest"u8.ToArray(), authenticationFailureClose: true));
        var tune = await ExpectMethodAsync<ConnectionTune>(0);
        await SendMethodAsync(0, new ConnectionTuneOk { ChannelMax = channelMax == 0 ? tune.ChannelMax : channelMax, FrameMax = frameMax, Heartbeat = heartbeat });
        await SendMethodAsync(0, new ConnectionOpen { VirtualHost = "/" });
        await ExpectMethodAsync<ConnectionOpenOk>(0);
    }

    public static ConnectionStartOk StartOk(string mechanism, byte[] response, bool authenticationFailureClose)
    {
        var properties = new AmqpTable().Add("product", "raw test client");
        if (authenticationFailureClose)
        {
            properties.Add("capabilities", new AmqpTable().Add("authentication_failure_close", true));
        }
        return new ConnectionStartOk { ClientProperties = properties, Mechanism = mechanism, Response = response, Locale = "en_US" };
    }

    public async Task OpenChannelAsync(ushort channel)
    {
        await SendMethodAsync(channel, new ChannelOpen());
        await ExpectMethodAsync<ChannelOpenOk>(channel);
    }

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendMethodAsync<TMethod>(ushort channel, TMethod method) where TMethod : struct, IAmqpMethod
    {
        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteMethod(output, channel, method);
        return SendAsync(output.WrittenSpan.ToArray());
    }

    /// <summary>A frame with any type, payload and frame-end octet.</summary>
    public Task SendFrameAsync(byte type, ushort channel, byte[] payload, byte frameEnd = AmqpConstants.FrameEnd)
    {
        var frame = new byte[payload.Length + AmqpFrame.Overhead];
        frame[0] = type;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)payload.Length);
        payload.CopyTo(frame, AmqpFrame.HeaderSize);
        frame[^1] = frameEnd;
        return SendAsync(frame);
    }

    public Task SendContentHeaderAsync(ushort channel, ulong bodySize)
    {
        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteContentHeader(output, channel, bodySize, new BasicProperties { ContentType = "text/plain" });
        return SendAsync(output.WrittenSpan.ToArray());
    }

    /// <summary>The next frame, or null when the server closed the socket.</summary>
    public async Task<(byte Type, ushort Channel, byte[] Payload)?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var result = await _reader.ReadAsync(deadline.Token);
            var buffer = result.Buffer;
            if (AmqpFrameReader.TryReadFrame(ref buffer, 0, out var frame))
            {
                var read = (frame.Type, frame.Channel, frame.Payload.ToArray());
                _reader.AdvanceTo(buffer.Start);
                return read;
            }
            if (result.IsCompleted)
            {
                Assert.True(buffer.IsEmpty, $"{buffer.Length} bytes of a partial frame before the socket closed");
                return null;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Every byte until the server closes the socket.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var deadline = new CancellationTokenSource(DefaultTimeout);
        while (true)
        {
            var result = await _reader.ReadAsync(deadline.Token);
            if (result.IsCompleted)
            {
                return result.Buffer.ToArray();
            }
            _reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Reads frames (skipping heartbeats) until a method frame, which must be <typeparamref name="TMethod"/> on <paramref name="channel"/>.</summary>
    public async Task<TMethod> ExpectMethodAsync<TMethod>(ushort channel) where TMethod : struct, IAmqpMethod<TMethod>
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException($"socket closed while waiting for {TMethod.Name}");
            if (frame.Type == AmqpConstants.FrameHeartbeat)
            {
                continue;
            }
            Assert.Equal(AmqpConstants.FrameMethod, frame.Type);
            var reader = new AmqpReader(frame.Payload);
            var classId = reader.ReadShort();
            var methodId = reader.ReadShort();
            Assert.True(classId == TMethod.ProtocolClassId && methodId == TMethod.ProtocolMethodId,
                $"expected {TMethod.Name} on channel {channel}, got {AmqpMethodInfo.Name(classId, methodId)} on channel {frame.Channel}: {Describe(frame.Payload)}");
            Assert.Equal(channel, frame.Channel);
            return TMethod.Read(ref reader);
        }
    }

    /// <summary>
    /// Expects connection.close with <paramref name="replyCode"/>, answers close-ok as a client must, and checks that
    /// the server then closes the socket.
    /// </summary>
    public async Task<ConnectionClose> ExpectConnectionCloseAsync(AmqpReplyCode replyCode)
    {
        var close = await ExpectMethodAsync<ConnectionClose>(0);
        Assert.True((ushort)replyCode == close.ReplyCode, $"expected {replyCode}, got {close.ReplyCode} {close.ReplyText}");
        await SendMethodAsync(0, new ConnectionCloseOk());
        await ExpectSocketClosedAsync();
        return close;
    }

    public async Task ExpectSocketClosedAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            Assert.Equal(AmqpConstants.FrameHeartbeat, frame.Type);
        }
    }

    private static string Describe(byte[] payload)
    {
        var reader = new AmqpReader(payload);
        var classId = reader.ReadShort();
        var methodId = reader.ReadShort();
        if (classId == ConnectionClose.ProtocolClassId && methodId == ConnectionClose.ProtocolMethodId)
        {
            var close = ConnectionClose.Read(ref reader);
            return $"{close.ReplyCode} {close.ReplyText}";
        }
        if (classId == ChannelClose.ProtocolClassId && methodId == ChannelClose.ProtocolMethodId)
        {
            var close = ChannelClose.Read(ref reader);
            return $"{close.ReplyCode} {close.ReplyText}";
        }
        return Encoding.ASCII.GetString(payload);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _tcp.Dispose();
    }
}
