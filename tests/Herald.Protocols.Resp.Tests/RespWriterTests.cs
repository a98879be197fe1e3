using System.Buffers;
using System.Text;

namespace Herald.Protocols.Resp.Tests;

public sealed class RespWriterTests
{
    [Theory]
    [InlineData(RespVersion.Resp2, "+OK\r\n-ERR bad  thing\r\n:-42\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n")]
    [InlineData(RespVersion.Resp3, "+OK\r\n-ERR bad  thing\r\n:-42\r\n$5\r\nhello\r\n$0\r\n\r\n_\r\n_\r\n")]
    public void Writes_the_basic_types(RespVersion version, string expected)
    {
        Assert.Equal(expected, Write(version, writer =>
        {
            writer.WriteSimpleString("OK"u8);
            writer.WriteError("ERR bad\r\nthing");
            writer.WriteInteger(-42);
            writer.WriteBulkString("hello"u8);
            writer.WriteBulkString(ReadOnlySpan<byte>.Empty);
            writer.WriteNull();
            writer.WriteNullArray();
        }));
    }

    [Theory]
    [InlineData(RespVersion.Resp2, "*2\r\n*4\r\n~2\r\n*1\r\n*3\r\n")]
    [InlineData(RespVersion.Resp3, "*2\r\n%2\r\n~2\r\n~1\r\n>3\r\n")]
    public void Aggregate_headers_fall_back_to_arrays_in_RESP2(RespVersion version, string expected)
    {
        var text = Write(version, writer =>
        {
            writer.WriteArrayHeader(2);
            writer.WriteMapHeader(2);
            writer.WriteRaw("~2\r\n"u8);
            writer.WriteSetHeader(1);
            writer.WritePushHeader(3);
        });

        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(RespVersion.Resp2, "$3\r\n1.5\r\n$3\r\ninf\r\n$4\r\n-inf\r\n:1\r\n:0\r\n$5\r\nhello\r\n")]
    [InlineData(RespVersion.Resp3, ",1.5\r\n,inf\r\n,-inf\r\n#t\r\n#f\r\n=9\r\ntxt:hello\r\n")]
    public void Doubles_booleans_and_verbatim_strings_follow_the_version(RespVersion version, string expected)
    {
        Assert.Equal(expected, Write(version, writer =>
        {
            writer.WriteDouble(1.5);
            writer.WriteDouble(double.PositiveInfinity);
            writer.WriteDouble(double.NegativeInfinity);
            writer.WriteBoolean(true);
            writer.WriteBoolean(false);
            writer.WriteVerbatimString("hello"u8, "txt"u8);
        }));
    }

    [Fact]
    public void Bulk_strings_larger_than_a_span_are_written_whole()
    {
        var payload = new byte[100_000];
        new Random(1).NextBytes(payload);
        var output = new ArrayBufferWriter<byte>(16);
        var writer = new RespWriter(new SmallSpans(output));

        writer.WriteBulkString(payload);

        var written = output.WrittenSpan;
        Assert.Equal("$100000\r\n"u8.ToArray(), written[..9].ToArray());
        Assert.Equal(payload, written[9..^2].ToArray());
        Assert.Equal("\r\n"u8.ToArray(), written[^2..].ToArray());
    }

    [Fact]
    public void String_errors_keep_client_bytes_one_to_one()
    {
        var text = Write(RespVersion.Resp2, writer => writer.WriteError("ERR got '\u00ff'"));

        Assert.Equal([.. "-ERR got '"u8, 0xff, .. "'\r\n"u8], Encoding.Latin1.GetBytes(text));
    }

    [Fact]
    public void Writing_replies_allocates_nothing()
    {
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var writer = new RespWriter(output, RespVersion.Resp3);
        Write(writer);
        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var i = 0; i < 1000; i++)
        {
            Write(writer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Write(RespWriter writer)
        {
            writer.WritePushHeader(3);
            writer.WriteBulkString("message"u8);
            writer.WriteBulkString("channel"u8);
            writer.WriteInteger(123456789);
            writer.WriteDouble(3.25);
            writer.WriteSimpleString("PONG"u8);
            writer.WriteNull();
        }
    }

    [Fact]
    public void Integers_parse_as_Redis_string2ll()
    {
        Assert.True(RespInteger.TryParse("0"u8, out var zero) && zero == 0);
        Assert.True(RespInteger.TryParse("-9223372036854775808"u8, out var min) && min == long.MinValue);
        Assert.True(RespInteger.TryParse("9223372036854775807"u8, out var max) && max == long.MaxValue);
        foreach (var bad in new[] { "", "-", "-0", "01", "+1", " 1", "1 ", "9223372036854775808", "1.5" })
        {
            Assert.False(RespInteger.TryParse(Encoding.ASCII.GetBytes(bad), out _), bad);
        }
    }

    private static string Write(RespVersion version, Action<RespWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(new RespWriter(output, version));
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }

    /// <summary>Hands out spans of at most 1000 bytes beyond the hint, like a pipe near a segment's end.</summary>
    private sealed class SmallSpans(ArrayBufferWriter<byte> inner) : IBufferWriter<byte>
    {
        public void Advance(int count) => inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            var memory = inner.GetMemory(sizeHint);
            return memory[..Math.Min(memory.Length, Math.Max(sizeHint, 1000))];
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
