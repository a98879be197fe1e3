using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Herald.Protocols.Kafka;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// A bare Kafka connection built on the codec: writes requests (or any bytes) and reads response frames, so tests
/// can pipeline, send malformed input and look at exact responses. One per test; not thread-safe.
/// </summary>
public sealed class RawKafkaClient : IAsyncDisposable
{
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _client = new() { NoDelay = true };
    private NetworkStream _stream = null!;
    private int _nextCorrelationId = 1;

    public static async Task<RawKafkaClient> ConnectAsync(int port)
    {
        var client = new RawKafkaClient();
        await client._client.ConnectAsync(IPAddress.Loopback, port);
        client._stream = client._client.GetStream();
        return client;
    }

    /// <summary>Encodes a request frame (size, header, body) without sending it; returns the correlation id used.</summary>
    public byte[] Encode(ApiKey apiKey, short version, IKafkaMessage body, out int correlationId)
    {
        correlationId = _nextCorrelationId++;
        var header = new RequestHeader
        {
            RequestApiKey = (short)apiKey,
            RequestApiVersion = version,
            CorrelationId = correlationId,
            ClientId = "raw-test",
        };
        var headerVersion = RequestHeader.GetHeaderVersion(apiKey, version);
        var size = header.GetSize(headerVersion) + body.GetSize(version);
        var frame = new byte[4 + size];
        var writer = new KafkaWriter(frame);
        writer.WriteInt32(size);
        header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        return frame;
    }

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Sends one request and reads its response.</summary>
    public async Task<TResponse> RequestAsync<TResponse>(ApiKey apiKey, short version, IKafkaMessage body)
        where TResponse : IKafkaMessage, new()
    {
        await SendAsync(Encode(apiKey, version, body, out var correlationId));
        var (responseCorrelationId, response) = await ReadResponseAsync<TResponse>(apiKey, version);
        Assert.Equal(correlationId, responseCorrelationId);
        return response;
    }

    /// <summary>Reads the next response frame and decodes it as <typeparamref name="TResponse"/> at <paramref name="version"/>.</summary>
    public async Task<(int CorrelationId, TResponse Response)> ReadResponseAsync<TResponse>(ApiKey apiKey, short version)
        where TResponse : IKafkaMessage, new()
    {
        var frame = await ReadFrameAsync() ?? throw new IOException("The connection closed before a response arrived.");
        var reader = new KafkaReader(frame);
        var correlationId = reader.ReadInt32();
        if (ResponseHeader.GetHeaderVersion(apiKey, version) >= 1)
        {
            reader.ReadUnknownTaggedFields();
        }
        var response = new TResponse();
        response.Read(ref reader, version);
        return (correlationId, response);
    }

    /// <summary>The next frame's bytes after the size prefix, or null when the server closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var prefix = new byte[4];
        if (!await ReadExactlyOrEndAsync(prefix, timeout.Token))
        {
            return null;
        }
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadExactlyOrEndAsync(frame, timeout.Token) ? frame : null;
    }

    /// <summary>True when the server closes the connection (reads end) within the read timeout.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            return await ReadFrameAsync() is null;
        }
        catch (IOException)
        {
            return true; // reset by the server
        }
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
