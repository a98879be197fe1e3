using System.Buffers;
using System.Text;

namespace Herald.Protocols.Resp.Tests;

public sealed class RespReaderTests
{
    [Fact]
    public void Reads_a_multibulk_request_into_its_arguments()
    {
        var request = ReadAll("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"u8);

        Assert.Equal(["SET", "key", "va\r\nl"], Assert.Single(request));
    }

    [Fact]
    public void Reads_pipelined_requests_in_order_and_skips_empty_ones()
    {
        var requests = ReadAll("*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\n\r\n\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\r\n"u8);

        Assert.Equal([["PING"], ["ECHO", ""], ["PING"]], requests);
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  ECHO   hello  \r\n", new[] { "ECHO", "hello" })]
    [InlineData("ECHO \"a b\" 'c d'\r\n", new[] { "ECHO", "a b", "c d" })]
    [InlineData("ECHO \"\\x41\\n\\t\\\\\\\"\"\r\n", new[] { "ECHO", "A\n\t\\\"" })]
    [InlineData("ECHO 'it\\'s'\r\n", new[] { "ECHO", "it's" })]
    [InlineData("ECHO \"\\q\"\r\n", new[] { "ECHO", "q" })]
    [InlineData("ECHO \"\\x4\"\r\n", new[] { "ECHO", "x4" })]
    [InlineData("ECHO a\0b c\r\n", new[] { "ECHO", "a" })]
    public void Splits_inline_requests_as_sdssplitargs(string line, string[] expected)
    {
        var requests = ReadAll(Encoding.Latin1.GetBytes(line));

        Assert.Equal(expected, Assert.Single(requests));
    }

    [Theory]
    [InlineData("*abc\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*01\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*3000000000\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'")]
    [InlineData("*1\r\n\r\n", "Protocol error: expected '$', got '\r'")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$x\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length")]
    [InlineData("PING \"abc\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("PING 'abc\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO \"a\"b\r\n", "Protocol error: unbalanced quotes in request")]
    public void Malformed_requests_fail_with_Redis_messages(string input, string message)
    {
        var error = Assert.Throws<RespProtocolException>(() => ReadAll(Encoding.Latin1.GetBytes(input)));

        Assert.Equal(message, error.Message);
        Assert.True(error.ReplyToClient);
    }

    [Fact]
    public void An_inline_line_longer_than_64_KiB_without_a_newline_is_too_big()
    {
        var error = Assert.Throws<RespProtocolException>(() => ReadAll(Encoding.ASCII.GetBytes(new string('x', 65 * 1024))));

        Assert.Equal("Protocol error: too big inline request", error.Message);
        Assert.Empty(ReadAll(Encoding.ASCII.GetBytes(new string('x', 64 * 1024))));
    }

    [Fact]
    public void Header_lines_without_a_carriage_return_are_too_big_past_64_KiB()
    {
        var count = Assert.Throws<RespProtocolException>(() => ReadAll(Encoding.ASCII.GetBytes("*" + new string('1', 65 * 1024))));
        var length = Assert.Throws<RespProtocolException>(() => ReadAll(Encoding.ASCII.GetBytes("*1\r\n$" + new string('1', 65 * 1024))));

        Assert.Equal("Protocol error: too big mbulk count string", count.Message);
        Assert.Equal("Protocol error: too big bulk count string", length.Message);
    }

    [Fact]
    public void Limits_apply_before_any_storage_grows()
    {
        var limits = new RespReaderLimits(maxArguments: 3, maxBulkBytes: 10, maxInlineBytes: 100, maxRequestBytes: 15);

        Assert.Equal("Protocol error: invalid multibulk length", Assert.Throws<RespProtocolException>(() => ReadAll("*4\r\n"u8, limits)).Message);
        Assert.Equal("Protocol error: invalid bulk length", Assert.Throws<RespProtocolException>(() => ReadAll("*1\r\n$11\r\n"u8, limits)).Message);
        var total = Assert.Throws<RespProtocolException>(() => ReadAll("*2\r\n$10\r\n0123456789\r\n$10\r\n"u8, limits));
        Assert.False(total.ReplyToClient);
        Assert.Single(ReadAll("*3\r\n$5\r\nabcde\r\n$5\r\nabcde\r\n$5\r\nabcde\r\n"u8, limits));
    }

    [Fact]
    public void Unauthenticated_limits_use_Redis_unauthenticated_messages()
    {
        var limits = RespReaderLimits.Unauthenticated;

        Assert.Equal(
            "Protocol error: unauthenticated multibulk length",
            Assert.Throws<RespProtocolException>(() => ReadAll("*11\r\n"u8, limits)).Message);
        Assert.Equal(
            "Protocol error: unauthenticated bulk length",
            Assert.Throws<RespProtocolException>(() => ReadAll("*1\r\n$16385\r\n"u8, limits)).Message);
        Assert.Single(ReadAll("*10\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"u8, limits));
    }

    [Fact]
    public void A_huge_announced_bulk_is_rejected_without_allocating_for_it()
    {
        using var reader = new RespReader(RespReaderLimits.Default);
        var input = new ReadOnlySequence<byte>("*2\r\n$4\r\nECHO\r\n$2147483647\r\n"u8.ToArray());
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<RespProtocolException>(() => reader.TryRead(ref input));

        Assert.Equal("Protocol error: invalid bulk length", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void Every_split_point_gives_the_same_requests()
    {
        var input = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\nECHO \"quoted \\x41\"\r\n*1\r\n$4\r\nPING\r\n"u8.ToArray();
        var whole = ReadAll(input);

        for (var cut = 1; cut < input.Length; cut++)
        {
            Assert.Equal(whole, ReadAll(input, cuts: [cut]));
        }
        Assert.Equal(whole, ReadAll(input, cuts: [.. Enumerable.Range(1, input.Length - 1)]));
    }

    [Fact]
    public void Empty_segments_at_request_boundaries_are_no_obstacle()
    {
        using var reader = new RespReader(RespReaderLimits.Default);
        var input = "PING\r\n*1\r\n$4\r\nPING\r\n"u8;
        var buffer = Segments.Split(input, 0, 6, 6, 6);
        var count = 0;

        while (reader.TryRead(ref buffer))
        {
            Assert.Equal("PING"u8.ToArray(), reader.Request[0].ToArray());
            count++;
        }

        Assert.Equal(2, count);
    }

    [Fact]
    public void Arrival_byte_by_byte_resumes_and_consumes_partial_bulks()
    {
        using var reader = new RespReader(RespReaderLimits.Default);
        var input = "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n"u8.ToArray();
        var pending = Array.Empty<byte>();
        var completed = new List<string[]>();

        foreach (var b in input)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, b]);
            while (reader.TryRead(ref buffer))
            {
                completed.Add(Arguments(reader.Request));
            }
            pending = buffer.ToArray();
            Assert.True(pending.Length <= 12, $"{pending.Length} bytes held back");
        }

        Assert.Equal(["ECHO", "0123456789"], Assert.Single(completed));
        Assert.Empty(pending);
        Assert.False(reader.HasPartialRequest);
    }

    [Fact]
    public void A_big_request_releases_its_storage_afterwards()
    {
        using var reader = new RespReader(RespReaderLimits.Default);
        var big = new byte[2 * 1024 * 1024];
        var input = new ReadOnlySequence<byte>([.. "*2\r\n$4\r\nECHO\r\n$2097152\r\n"u8, .. big, .. "\r\n*1\r\n$4\r\nPING\r\n"u8]);

        Assert.True(reader.TryRead(ref input));
        Assert.Equal(big.Length, reader.Request[1].Length);
        Assert.True(reader.TryRead(ref input));

        Assert.Equal(["PING"], Arguments(reader.Request));
        Assert.True(reader.Request.TotalBytes < RespRequest.RetainedBytes);
    }

    [Fact]
    public void Seeded_random_input_only_ever_fails_with_protocol_errors()
    {
        var random = new Random(20260101);
        var alphabet = "*$\r\n0123456789-abc \"'\\x"u8.ToArray();
        for (var round = 0; round < 5000; round++)
        {
            var input = new byte[random.Next(1, 64)];
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }
            try
            {
                ReadAll(input, cuts: random.Next(2) == 0 ? [] : [random.Next(1, input.Length + 1)]);
            }
            catch (RespProtocolException)
            {
                // Expected for most random input.
            }
        }
    }

    [Fact]
    public void Whole_requests_in_one_segment_parse_as_they_do_byte_by_byte()
    {
        // Requests that lie whole in the first segment take a span fast path; split into one-byte segments, none
        // does. Mutated pipelines must give the same requests and fail with the same error either way.
        var random = new Random(20261122);
        var valid = "*3\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n*0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"u8.ToArray();
        var alphabet = "*$\r\n0123456789-"u8.ToArray();
        var limits = new RespReaderLimits(maxArguments: 4, maxBulkBytes: 8, maxInlineBytes: 64, maxRequestBytes: 12);
        for (var round = 0; round < 5000; round++)
        {
            var input = (byte[])valid.Clone();
            for (var edits = random.Next(4); edits > 0; edits--)
            {
                input[random.Next(input.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            var roundLimits = round % 2 == 0 ? RespReaderLimits.Default : limits;
            var whole = Outcome(input, roundLimits, []);
            var byteByByte = Outcome(input, roundLimits, [.. Enumerable.Range(1, input.Length - 1)]);
            Assert.Equal(byteByByte.Error, whole.Error);
            Assert.Equal(byteByByte.Requests, whole.Requests);
        }
    }

    private static (List<string[]>? Requests, string? Error) Outcome(byte[] input, RespReaderLimits limits, int[] cuts)
    {
        try
        {
            return (ReadAll(input, limits, cuts), null);
        }
        catch (RespProtocolException e)
        {
            return (null, e.Message);
        }
    }

    private static List<string[]> ReadAll(ReadOnlySpan<byte> bytes, RespReaderLimits? limits = null, int[]? cuts = null)
    {
        using var reader = new RespReader(limits ?? RespReaderLimits.Default);
        var requests = new List<string[]>();
        var length = bytes.Length;
        var validCuts = (cuts ?? []).Where(c => c > 0 && c < length).Distinct().Order().ToArray();
        var buffer = Segments.Split(bytes, validCuts);
        while (reader.TryRead(ref buffer))
        {
            requests.Add(Arguments(reader.Request));
        }
        return requests;
    }

    private static string[] Arguments(RespRequest request)
    {
        var arguments = new string[request.Count];
        for (var i = 0; i < request.Count; i++)
        {
            arguments[i] = Encoding.Latin1.GetString(request[i]);
        }
        return arguments;
    }
}
