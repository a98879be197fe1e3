using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Herald.Protocols.Resp;

/// <summary>
/// Writes RESP replies into an <see cref="IBufferWriter{T}"/> (a connection's output buffer or a
/// <c>PipeWriter</c>) in the dialect of <see cref="Version"/>, with no allocation per reply: each value is sized,
/// written into the writer's span and advanced.
/// <para>
/// RESP3 types fall back to their RESP2 form the way Redis's <c>addReply*</c> functions do: map → array of
/// alternating keys and values, set and push → array, double → bulk string, boolean → integer 1/0, verbatim → bulk
/// string, null → <c>$-1</c> (or <c>*-1</c> for <see cref="WriteNullArray"/>). Simple strings and errors must not
/// contain CR or LF; like Redis's <c>addReplyErrorFormat</c>, the writer turns any into spaces so a message can never
/// break the framing. Their <see cref="string"/> overloads map each char to one byte (Latin-1), so a message that
/// quotes client bytes decoded the same way returns them byte for byte; bulk strings given as <see cref="string"/>
/// are UTF-8.
/// </para>
/// One per connection; not thread-safe (the owner serializes writers).
/// </summary>
public sealed class RespWriter
{
    /// <summary>Prefix, a formatted <see cref="long"/> and CR LF.</summary>
    private const int MaxHeaderBytes = 1 + RespInteger.MaxFormattedBytes + 2;

    /// <summary>Bulk strings up to this size are written with their header in one span.</summary>
    private const int SingleSpanBulkBytes = 4096;

    public RespWriter(IBufferWriter<byte> output, RespVersion version = RespVersion.Resp2)
    {
        Output = output;
        Version = version;
    }

    public IBufferWriter<byte> Output { get; set; }

    public RespVersion Version { get; set; }

    public bool IsResp3 => Version == RespVersion.Resp3;

    /// <summary><c>+value\r\n</c>.</summary>
    public void WriteSimpleString(ReadOnlySpan<byte> value) => WriteLine((byte)'+', value);

    public void WriteSimpleString(string value) => WriteLatin1Line((byte)'+', value);

    /// <summary><c>-message\r\n</c>; the message starts with its code (<c>ERR</c>, <c>WRONGTYPE</c>, <c>NOAUTH</c>...).</summary>
    public void WriteError(ReadOnlySpan<byte> message) => WriteLine((byte)'-', message);

    public void WriteError(string message) => WriteLatin1Line((byte)'-', message);

    /// <summary><c>:value\r\n</c>.</summary>
    public void WriteInteger(long value) => WriteHeader((byte)':', value);

    /// <summary><c>$length\r\nvalue\r\n</c>.</summary>
    public void WriteBulkString(ReadOnlySpan<byte> value)
    {
        if (value.Length <= SingleSpanBulkBytes)
        {
            var span = Output.GetSpan(MaxHeaderBytes + value.Length + 2);
            var written = FormatHeader(span, (byte)'$', value.Length);
            value.CopyTo(span[written..]);
            written += value.Length;
            span[written++] = (byte)'\r';
            span[written++] = (byte)'\n';
            Output.Advance(written);
            return;
        }
        WriteHeader((byte)'$', value.Length);
        WriteBytes(value);
        WriteCrLf();
    }

    /// <summary>A bulk string holding <paramref name="value"/> in UTF-8.</summary>
    public void WriteBulkString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteHeader((byte)'$', length);
        var span = Output.GetSpan(length + 2);
        var written = Encoding.UTF8.GetBytes(value, span);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        Output.Advance(written);
    }

    /// <summary>A bulk string holding <paramref name="value"/> in decimal, as Redis's <c>addReplyBulkLongLong</c>.</summary>
    public void WriteBulkString(long value)
    {
        Span<byte> digits = stackalloc byte[RespInteger.MaxFormattedBytes];
        WriteBulkString(digits[..RespInteger.Format(value, digits)]);
    }

    /// <summary>The null reply: <c>_\r\n</c> in RESP3, the null bulk string <c>$-1\r\n</c> in RESP2.</summary>
    public void WriteNull() => WriteAscii(IsResp3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null reply where RESP2 uses the null array <c>*-1\r\n</c>.</summary>
    public void WriteNullArray() => WriteAscii(IsResp3 ? "_\r\n"u8 : "*-1\r\n"u8);

    /// <summary><c>*count\r\n</c>, followed by <paramref name="count"/> values.</summary>
    public void WriteArrayHeader(int count) => WriteHeader((byte)'*', count);

    /// <summary><c>%pairs\r\n</c> in RESP3, <c>*(2 × pairs)\r\n</c> in RESP2; followed by key, value, key, value...</summary>
    public void WriteMapHeader(int pairs) => WriteHeader(IsResp3 ? (byte)'%' : (byte)'*', IsResp3 ? pairs : 2L * pairs);

    /// <summary><c>~count\r\n</c> in RESP3, an array header in RESP2.</summary>
    public void WriteSetHeader(int count) => WriteHeader(IsResp3 ? (byte)'~' : (byte)'*', count);

    /// <summary><c>&gt;count\r\n</c> in RESP3 (out-of-band data such as pub/sub messages), an array header in RESP2.</summary>
    public void WritePushHeader(int count) => WriteHeader(IsResp3 ? (byte)'>' : (byte)'*', count);

    /// <summary>
    /// <c>,value\r\n</c> in RESP3, a bulk string in RESP2. The shortest text that reads back as the same double,
    /// with <c>inf</c>, <c>-inf</c> and <c>nan</c> spelled as Redis spells them.
    /// </summary>
    public void WriteDouble(double value)
    {
        Span<byte> text = stackalloc byte[32];
        int length;
        if (double.IsPositiveInfinity(value))
        {
            length = Copy("inf"u8, text);
        }
        else if (double.IsNegativeInfinity(value))
        {
            length = Copy("-inf"u8, text);
        }
        else if (double.IsNaN(value))
        {
            length = Copy("nan"u8, text);
        }
        else if (!Utf8Formatter.TryFormat(value, text, out length, new StandardFormat('R')))
        {
            throw new InvalidOperationException("A double did not fit 32 bytes.");
        }
        if (IsResp3)
        {
            WriteLine((byte)',', text[..length]);
        }
        else
        {
            WriteBulkString(text[..length]);
        }
    }

    /// <summary><c>#t\r\n</c>/<c>#f\r\n</c> in RESP3, <c>:1</c>/<c>:0</c> in RESP2.</summary>
    public void WriteBoolean(bool value)
    {
        if (IsResp3)
        {
            WriteAscii(value ? "#t\r\n"u8 : "#f\r\n"u8);
        }
        else
        {
            WriteInteger(value ? 1 : 0);
        }
    }

    /// <summary>
    /// <c>=length\r\ntxt:text\r\n</c> in RESP3 (text meant for humans, such as INFO), a bulk string in RESP2.
    /// <paramref name="format"/> is exactly three bytes (<c>txt</c> or <c>mkd</c>).
    /// </summary>
    public void WriteVerbatimString(ReadOnlySpan<byte> text, ReadOnlySpan<byte> format)
    {
        if (!IsResp3)
        {
            WriteBulkString(text);
            return;
        }
        if (format.Length != 3)
        {
            throw new ArgumentException("A verbatim string's format is three bytes.", nameof(format));
        }
        WriteHeader((byte)'=', text.Length + 4L);
        var span = Output.GetSpan(4);
        format.CopyTo(span);
        span[3] = (byte)':';
        Output.Advance(4);
        WriteBytes(text);
        WriteCrLf();
    }

    /// <summary>Bytes that already are a complete RESP value (a reply encoded once and cached).</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => WriteBytes(value);

    private void WriteHeader(byte prefix, long value)
    {
        var span = Output.GetSpan(MaxHeaderBytes);
        Output.Advance(FormatHeader(span, prefix, value));
    }

    private static int FormatHeader(Span<byte> span, byte prefix, long value)
    {
        span[0] = prefix;
        var written = 1 + RespInteger.Format(value, span[1..]);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        return written;
    }

    private void WriteLine(byte prefix, ReadOnlySpan<byte> text)
    {
        var span = Output.GetSpan(text.Length + 3);
        span[0] = prefix;
        text.CopyTo(span[1..]);
        var body = span.Slice(1, text.Length);
        if (body.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            body.Replace((byte)'\r', (byte)' ');
            body.Replace((byte)'\n', (byte)' ');
        }
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        Output.Advance(text.Length + 3);
    }

    private void WriteLatin1Line(byte prefix, string text)
    {
        var span = Output.GetSpan(text.Length + 3);
        span[0] = prefix;
        var body = span.Slice(1, text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            body[i] = c switch
            {
                '\r' or '\n' => (byte)' ',
                > '\u00ff' => (byte)'?',
                _ => (byte)c,
            };
        }
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        Output.Advance(text.Length + 3);
    }

    private void WriteAscii(ReadOnlySpan<byte> bytes)
    {
        var span = Output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        Output.Advance(bytes.Length);
    }

    private void WriteCrLf() => WriteAscii("\r\n"u8);

    /// <summary>Copies bytes in as many spans as the writer hands out.</summary>
    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = Output.GetSpan(1);
            var chunk = Math.Min(span.Length, bytes.Length);
            bytes[..chunk].CopyTo(span);
            Output.Advance(chunk);
            bytes = bytes[chunk..];
        }
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
