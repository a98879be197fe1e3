using System.Buffers;

namespace Herald.Protocols.Resp;

/// <summary>
/// Parses a connection's requests as Redis's <c>processInputBuffer</c> does: a request starting with <c>*</c> is a
/// multibulk array of bulk strings (<c>*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n</c>), anything else is an inline command
/// (<c>ECHO hi\r\n</c>, split like <c>sdssplitargs</c>: see <see cref="RespInlineSplitter"/>). Empty requests
/// (<c>*0\r\n</c>, <c>*-1\r\n</c>, a blank line) are skipped, as Redis skips them.
/// <para>
/// Pipelines parse contract: <see cref="TryRead"/> slices off the front of the buffer everything it has used and the
/// caller then calls <c>AdvanceTo(buffer.Start, buffer.End)</c>. Unlike a frame reader it may use bytes of a request
/// it has not finished: completed arguments, and the part of a bulk string received so far, are copied into
/// <see cref="Request"/> and consumed, so a 100 MB argument never sits in the transport's pipe (whose pause threshold
/// is far smaller) and parsing resumes where it stopped instead of starting over. That state lives in this instance,
/// so the caller must pass the buffer that follows what was consumed, every time.
/// </para>
/// <para>
/// Limits (<see cref="Limits"/>) are checked when a count or length is parsed, before any storage grows for it.
/// Malformed input throws <see cref="RespProtocolException"/> with Redis's message; the connection is then
/// unusable. One per connection; not thread-safe.
/// </para>
/// </summary>
public sealed class RespReader : IDisposable
{
    /// <summary>Bytes Redis's <c>string2ll</c> accepts at most (<c>LONG_STR_SIZE</c> - 1); longer is never a number.</summary>
    private const int MaxNumberBytes = 20;

    /// <summary>Holds the start of a header line split across segments (the slow path); see TryReadHeaderLine.</summary>
    private readonly byte[] _headerScratch = new byte[MaxNumberBytes + 2];
    private int _argumentsLeft;
    private long _bulkLength = -1;
    private long _bulkConsumed;

    public RespReader(RespReaderLimits limits)
    {
        Limits = limits;
    }

    /// <summary>The limits for the next request (a connection switches them when it authenticates).</summary>
    public RespReaderLimits Limits { get; set; }

    /// <summary>The request the last successful <see cref="TryRead"/> produced.</summary>
    public RespRequest Request { get; } = new();

    /// <summary>True while a request has been started but not finished.</summary>
    public bool HasPartialRequest => _argumentsLeft > 0;

    /// <summary>
    /// Reads the next non-empty request into <see cref="Request"/>. Returns false when <paramref name="buffer"/> ends
    /// first; what was used is sliced off either way.
    /// </summary>
    /// <exception cref="RespProtocolException">The input is malformed or breaks a limit.</exception>
    public bool TryRead(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (_argumentsLeft == 0)
            {
                Request.Reset();
                if (buffer.IsEmpty)
                {
                    return false;
                }
                if (FirstByte(buffer) != (byte)'*')
                {
                    if (!TryReadInline(ref buffer))
                    {
                        return false;
                    }
                    if (Request.Count == 0)
                    {
                        continue;
                    }
                    return true;
                }
                if (TryReadWholeRequest(buffer.FirstSpan, out var consumed))
                {
                    buffer = buffer.Slice(consumed);
                    if (Request.Count == 0)
                    {
                        continue;
                    }
                    return true;
                }
                // Not all in the first segment: the incremental reading below starts the request over.
                if (!TryReadMultibulkHeader(ref buffer))
                {
                    return false;
                }
                if (_argumentsLeft == 0)
                {
                    continue;
                }
            }

            while (_argumentsLeft > 0)
            {
                if (_bulkLength < 0 && !TryReadBulkHeader(ref buffer))
                {
                    return false;
                }
                if (!TryReadBulkPayload(ref buffer))
                {
                    return false;
                }
            }
            return true;
        }
    }

    public void Dispose() => Request.Dispose();

    private bool TryReadMultibulkHeader(ref ReadOnlySequence<byte> buffer)
    {
        if (!TryReadHeaderLine(ref buffer, "Protocol error: too big mbulk count string", out var header))
        {
            return false;
        }
        _argumentsLeft = ArgumentCount(header.Number);
        return true;
    }

    /// <summary>
    /// The common case, parsed straight from a span: a whole multibulk request in the transport's first segment, as
    /// small requests almost always are. Reads it into <see cref="Request"/> with the same checks, in the same order,
    /// as the incremental path; returns false, having used nothing, when the request does not end within
    /// <paramref name="span"/> (the incremental path then reads it).
    /// </summary>
    private bool TryReadWholeRequest(ReadOnlySpan<byte> span, out int consumed)
    {
        consumed = 0;
        var cr = span.IndexOf((byte)'\r');
        if (cr < 0 || cr + 1 >= span.Length)
        {
            return false;
        }
        var count = ArgumentCount(span[1..cr]);
        var position = cr + 2;
        for (var i = 0; i < count; i++)
        {
            var rest = span[position..];
            cr = rest.IndexOf((byte)'\r');
            if (cr < 0 || cr + 1 >= rest.Length)
            {
                Request.Reset();
                return false;
            }
            // cr is 0 only for an empty line where a bulk header belongs; its marker is then the CR itself.
            var length = BulkLength(rest[0], cr > 0 ? rest[1..cr] : default);
            var payload = position + cr + 2;
            if (payload + length + 2 > span.Length)
            {
                Request.Reset();
                return false;
            }
            Request.Add(span.Slice(payload, (int)length));
            position = payload + (int)length + 2;
        }
        consumed = position;
        return true;
    }

    /// <summary>The argument count of a <c>*</c> line (0 for an empty request); throws as Redis replies.</summary>
    private int ArgumentCount(ReadOnlySpan<byte> number)
    {
        if (!RespInteger.TryParse(number, out var count) || count > int.MaxValue)
        {
            throw new RespProtocolException("Protocol error: invalid multibulk length");
        }
        if (count > Limits.MaxArguments)
        {
            throw new RespProtocolException(Limits.IsUnauthenticated
                ? "Protocol error: unauthenticated multibulk length"
                : "Protocol error: invalid multibulk length");
        }
        // Redis treats zero and negative counts as an empty request: nothing to run, nothing to reply.
        return count > 0 ? (int)count : 0;
    }

    /// <summary>The length of a <c>$</c> line, checked against the limits; throws as Redis replies.</summary>
    private long BulkLength(byte marker, ReadOnlySpan<byte> number)
    {
        if (marker != (byte)'$')
        {
            throw new RespProtocolException($"Protocol error: expected '$', got '{(char)marker}'");
        }
        if (!RespInteger.TryParse(number, out var length) || length < 0 || length > Limits.MaxBulkBytes)
        {
            throw new RespProtocolException(Limits.IsUnauthenticated && length > Limits.MaxBulkBytes && length >= 0
                ? "Protocol error: unauthenticated bulk length"
                : "Protocol error: invalid bulk length");
        }
        if (Request.TotalBytes + length > Limits.MaxRequestBytes)
        {
            throw new RespProtocolException("Protocol error: request larger than the query buffer limit", replyToClient: false);
        }
        return length;
    }

    private bool TryReadBulkHeader(ref ReadOnlySequence<byte> buffer)
    {
        if (!TryReadHeaderLine(ref buffer, "Protocol error: too big bulk count string", out var header))
        {
            return false;
        }
        _bulkLength = BulkLength(header.Marker, header.Number);
        _bulkConsumed = 0;
        Request.BeginArgument();
        return true;
    }

    /// <summary>
    /// Copies what has arrived of the current bulk string, then skips the two bytes after it. Like Redis, the two
    /// bytes are not checked to be CR LF: a client that lies about a length desynchronizes and gets the error of
    /// whatever header is read next.
    /// </summary>
    private bool TryReadBulkPayload(ref ReadOnlySequence<byte> buffer)
    {
        var payloadLeft = _bulkLength - _bulkConsumed;
        if (payloadLeft > 0)
        {
            var chunk = Math.Min(payloadLeft, buffer.Length);
            var first = buffer.FirstSpan;
            if (chunk <= first.Length)
            {
                Request.Append(first[..(int)chunk]);
            }
            else
            {
                Request.Append(buffer.Slice(0, chunk));
            }
            buffer = buffer.Slice(chunk);
            _bulkConsumed += chunk;
            if (_bulkConsumed < _bulkLength)
            {
                return false;
            }
        }

        var trailerLeft = _bulkLength + 2 - _bulkConsumed;
        var skip = Math.Min(trailerLeft, buffer.Length);
        buffer = buffer.Slice(skip);
        _bulkConsumed += skip;
        if (skip < trailerLeft)
        {
            return false;
        }

        Request.EndArgument();
        _bulkLength = -1;
        _argumentsLeft--;
        return true;
    }

    /// <summary>
    /// A <c>*</c> or <c>$</c> line: its first byte and the bytes up to the CR. As in Redis, the line ends at the
    /// first CR and must be followed by one more byte; a missing CR is an error once the line is longer than
    /// <see cref="RespReaderLimits.MaxInlineBytes"/>. Only the first <see cref="MaxNumberBytes"/> + 1 bytes of the
    /// number are kept, which is enough to know whether it is valid.
    /// </summary>
    private bool TryReadHeaderLine(ref ReadOnlySequence<byte> buffer, string tooBigMessage, out HeaderLine header)
    {
        header = default;
        var first = buffer.FirstSpan;
        var cr = first.IndexOf((byte)'\r');
        if (cr >= 0 && cr + 1 < first.Length)
        {
            // cr is 0 only for an empty line where a bulk header belongs; its marker is then the CR itself.
            header = new HeaderLine(first[0], cr > 0 ? first[1..cr] : default);
            buffer = buffer.Slice(cr + 2);
            return true;
        }

        // The line is split across segments, or incomplete.
        var searched = buffer.Length > Limits.MaxInlineBytes ? buffer.Slice(0, Limits.MaxInlineBytes + 1) : buffer;
        var position = searched.PositionOf((byte)'\r');
        if (position is null)
        {
            if (buffer.Length > Limits.MaxInlineBytes)
            {
                throw new RespProtocolException(tooBigMessage);
            }
            return false;
        }
        var lineLength = buffer.Slice(0, position.Value).Length;
        if (buffer.Length < lineLength + 2)
        {
            return false;
        }
        if (lineLength == 0)
        {
            header = new HeaderLine((byte)'\r', default);
        }
        else
        {
            var kept = (int)Math.Min(lineLength, _headerScratch.Length);
            buffer.Slice(0, kept).CopyTo(_headerScratch);
            header = new HeaderLine(_headerScratch[0], _headerScratch.AsSpan(1, kept - 1));
        }
        buffer = buffer.Slice(lineLength + 2);
        return true;
    }

    private bool TryReadInline(ref ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        var lf = first.IndexOf((byte)'\n');
        if (lf >= 0 && lf <= Limits.MaxInlineBytes)
        {
            RespInlineSplitter.Split(TrimCarriageReturn(first[..lf]), Request);
            buffer = buffer.Slice(lf + 1);
            return true;
        }

        var searched = buffer.Length > Limits.MaxInlineBytes ? buffer.Slice(0, Limits.MaxInlineBytes + 1) : buffer;
        var position = searched.PositionOf((byte)'\n');
        if (position is null)
        {
            if (buffer.Length > Limits.MaxInlineBytes)
            {
                throw new RespProtocolException("Protocol error: too big inline request");
            }
            return false;
        }
        var line = buffer.Slice(0, position.Value);
        var lineLength = (int)line.Length;
        // Rented for the split only and returned below; the arguments are copied into the request.
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(lineLength, 1));
        try
        {
            line.CopyTo(rented);
            RespInlineSplitter.Split(TrimCarriageReturn(rented.AsSpan(0, lineLength)), Request);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        buffer = buffer.Slice(lineLength + 1);
        return true;
    }

    /// <summary>The first byte; a slice that ends exactly on a segment boundary can leave the first segment empty.</summary>
    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        if (!first.IsEmpty)
        {
            return first[0];
        }
        var reader = new SequenceReader<byte>(buffer);
        reader.TryPeek(out var value);
        return value;
    }

    private static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private readonly ref struct HeaderLine(byte marker, ReadOnlySpan<byte> number)
    {
        public byte Marker { get; } = marker;

        public ReadOnlySpan<byte> Number { get; } = number;
    }
}
