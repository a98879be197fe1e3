namespace Herald.Protocols.Amqp.Tests;

/// <summary>Field tables with every RabbitMQ type letter, byte fixtures written from the errata, and bad input.</summary>
public sealed class FieldTableTests
{
    [Fact]
    public void Every_field_type_round_trips()
    {
        var table = new AmqpTable()
            .Add("t", true)
            .Add("b", (sbyte)-5)
            .Add("B", (byte)250)
            .Add("s", (short)-30000)
            .Add("u", (ushort)60000)
            .Add("I", -2_000_000_000)
            .Add("i", 4_000_000_000u)
            .Add("l", -9_000_000_000_000L)
            .Add("f", 1.5f)
            .Add("d", -2.25)
            .Add("D", new AmqpDecimal(2, 12345))
            .Add("S", "long string é")
            .Add("x", new AmqpBinary([0, 1, 2, 0xFF]))
            .Add("A", new List<object?> { 1, "two", null, new AmqpTable().Add("n", false) })
            .Add("T", new AmqpTimestamp(1_700_000_000))
            .Add("F", new AmqpTable().Add("inner", (byte)1))
            .Add("V", null);

        var bytes = Encode(table);
        var reader = new AmqpReader(bytes);
        var decoded = AmqpFieldTable.Read(ref reader);

        Assert.Equal(0, reader.Remaining);
        Assert.Equal(table.Select(e => e.Key), decoded.Select(e => e.Key));
        Assert.Equal(true, decoded["t"]);
        Assert.Equal((sbyte)-5, decoded["b"]);
        Assert.Equal((byte)250, decoded["B"]);
        Assert.Equal((short)-30000, decoded["s"]);
        Assert.Equal((ushort)60000, decoded["u"]);
        Assert.Equal(-2_000_000_000, decoded["I"]);
        Assert.Equal(4_000_000_000u, decoded["i"]);
        Assert.Equal(-9_000_000_000_000L, decoded["l"]);
        Assert.Equal(1.5f, decoded["f"]);
        Assert.Equal(-2.25, decoded["d"]);
        Assert.Equal(new AmqpDecimal(2, 12345), decoded["D"]);
        Assert.Equal("long string é"u8.ToArray(), decoded["S"]);
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF }, Assert.IsType<AmqpBinary>(decoded["x"]).Bytes);
        var array = Assert.IsType<List<object?>>(decoded["A"]);
        Assert.Equal(1, array[0]);
        Assert.Equal("two"u8.ToArray(), array[1]);
        Assert.Null(array[2]);
        Assert.Equal(false, Assert.IsType<AmqpTable>(array[3])["n"]);
        Assert.Equal(new AmqpTimestamp(1_700_000_000), decoded["T"]);
        Assert.Equal((byte)1, Assert.IsType<AmqpTable>(decoded["F"])["inner"]);
        Assert.True(decoded.TryGetValue("V", out var none));
        Assert.Null(none);
        Assert.Equal(bytes, Encode(decoded));
    }

    [Fact]
    public void Encoding_matches_bytes_assembled_from_the_errata()
    {
        var table = new AmqpTable().Add("a", -2).Add("bb", true).Add("s", (short)1).Add("x", "hi");

        byte[] expected =
        [
            0x00, 0x00, 0x00, 0x1A,                                  // table length 26
            0x01, (byte)'a', (byte)'I', 0xFF, 0xFF, 0xFF, 0xFE,      // "a" signed 32-bit -2
            0x02, (byte)'b', (byte)'b', (byte)'t', 0x01,             // "bb" boolean true
            0x01, (byte)'s', (byte)'s', 0x00, 0x01,                  // "s" signed 16-bit 1 (RabbitMQ's 's', not short string)
            0x01, (byte)'x', (byte)'S', 0x00, 0x00, 0x00, 0x02, (byte)'h', (byte)'i', // "x" long string
        ];
        Assert.Equal(expected, Encode(table));
    }

    [Fact]
    public void The_spec_letter_L_reads_as_a_signed_64_bit_integer()
    {
        byte[] bytes = [0x00, 0x00, 0x00, 0x0B, 0x01, (byte)'n', (byte)'L', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD];
        var reader = new AmqpReader(bytes);
        Assert.Equal(-3L, AmqpFieldTable.Read(ref reader)["n"]);
    }

    [Fact]
    public void An_unknown_type_letter_is_a_syntax_error()
    {
        byte[] bytes = [0x00, 0x00, 0x00, 0x04, 0x01, (byte)'n', (byte)'Z', 0x00];
        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var reader = new AmqpReader(bytes);
            AmqpFieldTable.Read(ref reader);
        });
        Assert.Equal(AmqpReplyCode.SyntaxError, error.ReplyCode);
    }

    [Fact]
    public void A_table_longer_than_its_payload_is_a_syntax_error()
    {
        byte[] bytes = [0x00, 0x00, 0x00, 0x10, 0x01, (byte)'n', (byte)'t', 0x01];
        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var reader = new AmqpReader(bytes);
            AmqpFieldTable.Read(ref reader);
        });
        Assert.Equal(AmqpReplyCode.SyntaxError, error.ReplyCode);
    }

    [Fact]
    public void Amqplain_entries_without_a_length_word_read_as_a_table()
    {
        var withLength = Encode(new AmqpTable().Add("LOGIN", "guest").Add("PASSWORD", "guest"));
        var table = AmqpFieldTable.ReadEntries(withLength.AsSpan(4));
        Assert.Equal("guest"u8.ToArray(), table["LOGIN"]);
        Assert.Equal("guest"u8.ToArray(), table["PASSWORD"]);
    }

    [Fact]
    public void The_shared_empty_table_cannot_be_changed() =>
        Assert.Throws<InvalidOperationException>(() => AmqpTable.Empty.Add("k", 1));

    private static byte[] Encode(AmqpTable table)
    {
        var bytes = new byte[AmqpFieldTable.GetSize(table)];
        var writer = new AmqpWriter(bytes);
        AmqpFieldTable.Write(ref writer, table);
        Assert.Equal(bytes.Length, writer.Position);
        return bytes;
    }
}
