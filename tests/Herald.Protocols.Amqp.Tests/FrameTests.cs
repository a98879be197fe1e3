using System.Buffers;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Protocols.Amqp.Tests;

/// <summary>Frame reading and writing, and byte fixtures assembled by hand from the spec.</summary>
public sealed class FrameTests
{
    /// <summary>connection.start as RabbitMQ sends it (spec 4.2.3 frame layout, 1.4.2.1 arguments), trimmed to one server property.</summary>
    private static readonly byte[] ConnectionStartFrame =
    [
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3A,       // method frame, channel 0, payload 58 bytes
        0x00, 0x0A, 0x00, 0x0A,                         // class 10 connection, method 10 start
        0x00, 0x09,                                     // version-major 0, version-minor 9
        0x00, 0x00, 0x00, 0x15,                         // server-properties: table of 21 bytes
        0x07, .. "product"u8, (byte)'S', 0x00, 0x00, 0x00, 0x08, .. "RabbitMQ"u8,
        0x00, 0x00, 0x00, 0x0E, .. "AMQPLAIN PLAIN"u8,  // mechanisms
        0x00, 0x00, 0x00, 0x05, .. "en_US"u8,           // locales
        0xCE,
    ];

    [Fact]
    public void Connection_start_fixture_decodes_and_re_encodes_byte_for_byte()
    {
        var buffer = new ReadOnlySequence<byte>(ConnectionStartFrame);
        Assert.True(AmqpFrameReader.TryReadFrame(ref buffer, 131072, out var frame));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(AmqpConstants.FrameMethod, frame.Type);
        Assert.Equal(0, frame.Channel);

        var payload = frame.Payload.ToArray();
        var reader = new AmqpReader(payload);
        Assert.Equal(10, reader.ReadShort());
        Assert.Equal(10, reader.ReadShort());
        var start = ConnectionStart.Read(ref reader);
        Assert.Equal(0, start.VersionMajor);
        Assert.Equal(9, start.VersionMinor);
        Assert.Equal("RabbitMQ"u8.ToArray(), start.ServerProperties["product"]);
        Assert.Equal("AMQPLAIN PLAIN"u8.ToArray(), start.Mechanisms);
        Assert.Equal("en_US"u8.ToArray(), start.Locales);

        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteMethod(output, 0, start);
        Assert.Equal(ConnectionStartFrame, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Consecutive_bits_pack_into_one_octet_lowest_bit_first()
    {
        // queue.declare: ticket, queue "q", then passive(0) durable(1) exclusive(2) auto-delete(3) nowait(4), arguments.
        var declare = new QueueDeclare { Queue = "q", Durable = true, AutoDelete = true };
        byte[] expected = [0x00, 0x00, 0x01, (byte)'q', 0b0000_1010, 0x00, 0x00, 0x00, 0x00];
        Assert.Equal(expected, MethodRoundTripTests.Encode(declare));

        // basic.nack: delivery-tag, then multiple(0) requeue(1); requeue defaults to true as the spec says.
        Assert.True(new BasicNack().Requeue);
        byte[] nack = [0, 0, 0, 0, 0, 0, 0, 7, 0b0000_0011];
        Assert.Equal(nack, MethodRoundTripTests.Encode(new BasicNack { DeliveryTag = 7, Multiple = true }));
    }

    [Fact]
    public void Basic_properties_use_the_flags_word_and_only_present_properties()
    {
        var properties = new BasicProperties { ContentType = "text/plain", DeliveryMode = 2 };
        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteContentHeader(output, 1, 5, properties);

        byte[] expected =
        [
            0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1A,       // header frame, channel 1, payload 26
            0x00, 0x3C, 0x00, 0x00,                         // class 60, weight 0
            0, 0, 0, 0, 0, 0, 0, 5,                         // body size 5
            0x90, 0x00,                                     // content-type (bit 15) and delivery-mode (bit 12)
            0x0A, .. "text/plain"u8,
            0x02,
            0xCE,
        ];
        Assert.Equal(expected, output.WrittenSpan.ToArray());

        var header = AmqpContentHeader.Read(expected.AsSpan(7, 26));
        Assert.Equal(60, header.ClassId);
        Assert.Equal(5UL, header.BodySize);
        Assert.Equal(properties, header.ReadBasicProperties());
    }

    [Fact]
    public void Every_basic_property_round_trips()
    {
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "gzip",
            Headers = new AmqpTable().Add("x-trace", "abc"),
            DeliveryMode = 2,
            Priority = 9,
            CorrelationId = "c-1",
            ReplyTo = "amq.rabbitmq.reply-to",
            Expiration = "60000",
            MessageId = "m-1",
            Timestamp = 1_700_000_000,
            Type = "order",
            UserId = "guest",
            AppId = "app",
            ClusterId = "cluster",
        };
        Assert.Equal(0xFFFC, properties.Flags);
        var bytes = new byte[properties.GetSize()];
        var writer = new AmqpWriter(bytes);
        properties.Write(ref writer);

        var reader = new AmqpReader(bytes);
        var decoded = BasicProperties.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(properties with { Headers = null }, decoded with { Headers = null });
        Assert.Equal("abc"u8.ToArray(), decoded.Headers!["x-trace"]);
    }

    [Fact]
    public void A_frame_split_across_segments_is_read_whole()
    {
        for (var cut = 1; cut < ConnectionStartFrame.Length; cut++)
        {
            var buffer = Segment.Split(ConnectionStartFrame, cut);
            Assert.True(AmqpFrameReader.TryReadFrame(ref buffer, 131072, out var frame));
            Assert.Equal(ConnectionStartFrame.AsSpan(7, 58).ToArray(), frame.Payload.ToArray());
        }
    }

    [Fact]
    public void Truncated_input_waits_for_more_bytes()
    {
        for (var length = 0; length < ConnectionStartFrame.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(ConnectionStartFrame, 0, length);
            Assert.False(AmqpFrameReader.TryReadFrame(ref buffer, 131072, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void A_wrong_frame_end_is_a_frame_error()
    {
        var bytes = ConnectionStartFrame.ToArray();
        bytes[^1] = 0xCD;
        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            AmqpFrameReader.TryReadFrame(ref buffer, 131072, out _);
        });
        Assert.Equal(AmqpReplyCode.FrameError, error.ReplyCode);
    }

    [Fact]
    public void An_oversized_frame_is_refused_from_its_header_alone()
    {
        // A body frame announcing 131065 payload bytes: 131073 with header and end, one over frame-max.
        byte[] header = [0x03, 0x00, 0x01, 0x00, 0x01, 0xFF, 0xF9];
        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(header);
            AmqpFrameReader.TryReadFrame(ref buffer, 131072, out _);
        });
        Assert.Equal(AmqpReplyCode.FrameError, error.ReplyCode);

        byte[] fits = [0x03, 0x00, 0x01, 0x00, 0x01, 0xFF, 0xF8];
        var waiting = new ReadOnlySequence<byte>(fits);
        Assert.False(AmqpFrameReader.TryReadFrame(ref waiting, 131072, out _));
    }

    [Fact]
    public void A_body_is_split_into_frames_no_larger_than_frame_max()
    {
        var body = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteBody(output, 3, new ReadOnlySequence<byte>(body), 4096);

        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        var received = new List<byte>();
        var sizes = new List<long>();
        while (AmqpFrameReader.TryReadFrame(ref buffer, 4096, out var frame))
        {
            Assert.Equal(AmqpConstants.FrameBody, frame.Type);
            Assert.Equal(3, frame.Channel);
            sizes.Add(frame.Payload.Length);
            received.AddRange(frame.Payload.ToArray());
        }
        Assert.Equal([4088L, 4088L, 1824L], sizes);
        Assert.Equal(body, received);
    }

    [Fact]
    public void Heartbeat_and_protocol_header_bytes_are_the_specs()
    {
        var output = new ArrayBufferWriter<byte>();
        AmqpFrameWriter.WriteHeartbeat(output);
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 0, 0xCE }, output.WrittenSpan.ToArray());

        var good = new ReadOnlySequence<byte>("AMQP\0\0\x09\x01"u8.ToArray());
        Assert.True(AmqpProtocolHeader.TryRead(ref good, out var supported));
        Assert.True(supported);
        var old = new ReadOnlySequence<byte>("AMQP\x01\x01\x00\x09"u8.ToArray());
        Assert.True(AmqpProtocolHeader.TryRead(ref old, out supported));
        Assert.False(supported);
        var partial = new ReadOnlySequence<byte>("AMQP"u8.ToArray());
        Assert.False(AmqpProtocolHeader.TryRead(ref partial, out _));
    }

    [Fact]
    public void Reply_codes_are_classed_as_the_spec_says()
    {
        Assert.True(AmqpReplyCodes.IsHardError(AmqpReplyCode.FrameError));
        Assert.True(AmqpReplyCodes.IsHardError(AmqpReplyCode.NotImplemented));
        Assert.False(AmqpReplyCodes.IsHardError(AmqpReplyCode.NotFound));
        Assert.False(AmqpReplyCodes.IsHardError(AmqpReplyCode.PreconditionFailed));
        Assert.Equal("PRECONDITION_FAILED", AmqpReplyCodes.Name(AmqpReplyCode.PreconditionFailed));
        Assert.Equal(0xCE, AmqpConstants.FrameEnd);
    }
}
