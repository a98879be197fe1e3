using System.Diagnostics;
using Herald.Protocols.Amqp;
using Herald.Protocols.Amqp.Frames;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// What no real client sends, over a raw socket: each bad input gets the reply code the spec prescribes (RabbitMQ's
/// texts), and afterwards the node still serves a fresh connection.
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class RawSocketTests(HeraldNode node) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test: another client still gets through the handshake and opens a channel.</summary>
    public async Task DisposeAsync()
    {
        await using var other = await RawAmqpClient.OpenAsync(node.Port);
        await other.OpenChannelAsync(1);
    }

    [Theory]
    [InlineData("AMQP\x01\x01\x00\x09")]
    [InlineData("AMQP\0\0\x09\x00")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    public async Task An_unsupported_protocol_header_is_answered_with_0_9_1_and_closed(string header)
    {
        await using var client = await RawAmqpClient.ConnectAsync(node.Port);
        await client.SendAsync(System.Text.Encoding.Latin1.GetBytes(header));

        Assert.Equal(AmqpProtocolHeader.Bytes.ToArray(), await client.ReadToEndAsync());
    }

    [Fact]
    public async Task A_wrong_frame_end_is_501_frame_error()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.SendFrameAsync(AmqpConstants.FrameHeartbeat, 0, [], frameEnd: 0x00);

        var close = await client.ExpectConnectionCloseAsync(AmqpReplyCode.FrameError);
        Assert.StartsWith("FRAME_ERROR - frame-end octet 0x00", close.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_over_frame_max_is_501_before_its_payload_arrives()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        // Only the header of a 1 MiB body frame; the server must not wait for the payload.
        await client.SendAsync([AmqpConstants.FrameBody, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00]);

        var close = await client.ExpectConnectionCloseAsync(AmqpReplyCode.FrameError);
        Assert.Contains("exceeds frame-max 131072", close.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_on_an_unopened_channel_is_504_channel_error()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.SendMethodAsync(5, new BasicQos { PrefetchCount = 10 });

        var close = await client.ExpectConnectionCloseAsync(AmqpReplyCode.ChannelError);
        Assert.Equal("CHANNEL_ERROR - expected 'channel.open' on channel 5", close.ReplyText);
    }

    [Fact]
    public async Task A_channel_above_the_negotiated_channel_max_is_504()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port, channelMax: 10);
        await client.SendMethodAsync(11, new ChannelOpen());

        await client.ExpectConnectionCloseAsync(AmqpReplyCode.ChannelError);
    }

    [Fact]
    public async Task A_second_channel_open_is_504()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendMethodAsync(1, new ChannelOpen());

        var close = await client.ExpectConnectionCloseAsync(AmqpReplyCode.ChannelError);
        Assert.Equal(ChannelOpen.ProtocolClassId, close.ClassId);
        Assert.Equal(ChannelOpen.ProtocolMethodId, close.MethodId);
    }

    [Fact]
    public async Task An_unknown_method_is_540_not_implemented()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendFrameAsync(AmqpConstants.FrameMethod, 1, [0x00, 0x3C, 0x03, 0xE7]);

        var close = await client.ExpectConnectionCloseAsync(AmqpReplyCode.NotImplemented);
        Assert.Equal("NOT_IMPLEMENTED - unknown method (class 60, method 999)", close.ReplyText);
        Assert.Equal(60, close.ClassId);
        Assert.Equal(999, close.MethodId);
    }

    [Fact]
    public async Task A_content_header_without_a_content_method_is_505_unexpected_frame()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendContentHeaderAsync(1, 3);

        await client.ExpectConnectionCloseAsync(AmqpReplyCode.UnexpectedFrame);
    }

    [Fact]
    public async Task A_method_where_a_content_header_belongs_is_505_unexpected_frame()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendMethodAsync(1, new BasicPublish { RoutingKey = "k" });
        await client.SendMethodAsync(1, new BasicQos { PrefetchCount = 1 });

        await client.ExpectConnectionCloseAsync(AmqpReplyCode.UnexpectedFrame);
    }

    [Fact]
    public async Task A_body_frame_without_a_header_is_505_unexpected_frame()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendMethodAsync(1, new BasicPublish { RoutingKey = "k" });
        await client.SendFrameAsync(AmqpConstants.FrameBody, 1, [1, 2, 3]);

        await client.ExpectConnectionCloseAsync(AmqpReplyCode.UnexpectedFrame);
    }

    [Fact]
    public async Task A_complete_publish_split_over_body_frames_reaches_the_broker_and_comes_back_as_a_return()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        // Mandatory and routed nowhere: the broker sends the assembled message back with basic.return 312 NO_ROUTE.
        await client.SendMethodAsync(1, new BasicPublish { RoutingKey = "nobody-" + Guid.NewGuid().ToString("N"), Mandatory = true });
        await client.SendContentHeaderAsync(1, 5);
        await client.SendFrameAsync(AmqpConstants.FrameBody, 1, [1, 2]);
        await client.SendFrameAsync(AmqpConstants.FrameBody, 1, [3, 4, 5]);

        var returned = await client.ExpectMethodAsync<BasicReturn>(1);
        Assert.Equal(((ushort)AmqpReplyCode.NoRoute, "NO_ROUTE"), (returned.ReplyCode, returned.ReplyText));
        var header = await client.ReadFrameAsync();
        Assert.Equal(AmqpConstants.FrameHeader, header!.Value.Type);
        var body = await client.ReadFrameAsync();
        Assert.Equal(AmqpConstants.FrameBody, body!.Value.Type);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, body.Value.Payload);
    }

    [Fact]
    public async Task A_message_over_the_maximum_size_closes_the_channel_with_406_and_the_channel_can_reopen()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.OpenChannelAsync(2);
        await client.SendMethodAsync(1, new BasicPublish { RoutingKey = "k" });
        await client.SendContentHeaderAsync(1, 200UL * 1024 * 1024);

        var close = await client.ExpectMethodAsync<ChannelClose>(1);
        Assert.Equal((ushort)AmqpReplyCode.PreconditionFailed, close.ReplyCode);
        Assert.Equal("PRECONDITION_FAILED - message size 209715200 is larger than configured max size 134217728", close.ReplyText);
        Assert.Equal(60, close.ClassId);
        Assert.Equal(40, close.MethodId);

        // Until close-ok, frames on the closing channel are ignored (spec 2.3.5): a body frame is not an error.
        await client.SendFrameAsync(AmqpConstants.FrameBody, 1, [1, 2, 3]);
        await client.SendMethodAsync(1, new ChannelCloseOk());
        await client.OpenChannelAsync(1);

        // Channel 2 was never affected.
        await client.SendMethodAsync(2, new ChannelFlow { Active = true });
        Assert.True((await client.ExpectMethodAsync<ChannelFlowOk>(2)).Active);
    }

    [Fact]
    public async Task Channel_flow_is_acknowledged_and_a_closed_channel_number_can_be_reused()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(7);
        await client.SendMethodAsync(7, new ChannelFlow { Active = false });
        Assert.False((await client.ExpectMethodAsync<ChannelFlowOk>(7)).Active);

        await client.SendMethodAsync(7, new ChannelClose { ReplyCode = 200, ReplyText = "bye" });
        await client.ExpectMethodAsync<ChannelCloseOk>(7);
        await client.OpenChannelAsync(7);

        await client.SendMethodAsync(0, new ConnectionClose { ReplyCode = 200, ReplyText = "bye" });
        await client.ExpectMethodAsync<ConnectionCloseOk>(0);
        await client.ExpectSocketClosedAsync();
    }

    [Fact]
    public async Task A_connection_method_on_a_channel_is_503_command_invalid()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port);
        await client.OpenChannelAsync(1);
        await client.SendMethodAsync(1, new ConnectionOpen());

        await client.ExpectConnectionCloseAsync(AmqpReplyCode.CommandInvalid);
    }

    [Fact]
    public async Task A_frame_max_above_the_servers_is_530_not_allowed()
    {
        await using var client = await RawAmqpClient.ConnectAsync(node.Port);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.HandshakeAsync(frameMax: 1 << 20));
        Assert.Contains("530 NOT_ALLOWED - negotiated frame_max = 1048576 is higher than the maximum allowed value (131072)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_from_a_client_without_authentication_failure_close_only_closes_the_socket()
    {
        await using var client = await RawAmqpClient.ConnectAsync(node.Port);
        await client.SendAsync(AmqpProtocolHeader.Bytes.ToArray());
        await client.ExpectMethodAsync<ConnectionStart>(0);
        await client.SendMethodAsync(0, RawAmqpClient.StartOk("PLAIN", "\0guest\0nope"u8.ToArray(), authenticationFailureClose: false));

        Assert.Null(await client.ReadFrameAsync());
    }

    [Fact]
    public async Task Amqplain_credentials_log_in_and_wrong_ones_get_403()
    {
        static byte[] Amqplain(string login, string password)
        {
            var table = new AmqpTable().Add("LOGIN", login).Add("PASSWORD", password);
            var bytes = new byte[AmqpFieldTable.GetSize(table)];
            var writer = new AmqpWriter(bytes);
            AmqpFieldTable.Write(ref writer, table);
            return bytes[4..]; // AMQPLAIN sends the entries without the table's length word
        }

        await using (var good = await RawAmqpClient.ConnectAsync(node.Port))
        {
            await good.SendAsync(AmqpProtocolHeader.Bytes.ToArray());
            await good.ExpectMethodAsync<ConnectionStart>(0);
            await good.SendMethodAsync(0, RawAmqpClient.StartOk("AMQPLAIN", Amqplain("guest", "guest"), authenticationFailureClose: true));
            Assert.Equal(60, (await good.ExpectMethodAsync<ConnectionTune>(0)).Heartbeat);
        }

        await using var bad = await RawAmqpClient.ConnectAsync(node.Port);
        await bad.SendAsync(AmqpProtocolHeader.Bytes.ToArray());
        await bad.ExpectMethodAsync<ConnectionStart>(0);
        await bad.SendMethodAsync(0, RawAmqpClient.StartOk("AMQPLAIN", Amqplain("guest", "nope"), authenticationFailureClose: true));
        var close = await bad.ExpectConnectionCloseAsync(AmqpReplyCode.AccessRefused);
        Assert.Equal("ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.", close.ReplyText);
    }

    [Fact]
    public async Task A_silent_client_gets_heartbeats_and_is_disconnected_after_two_missed_intervals()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port, heartbeat: 1);
        var clock = Stopwatch.StartNew();
        var heartbeats = 0;

        while (await client.ReadFrameAsync() is { } frame)
        {
            Assert.Equal(AmqpConstants.FrameHeartbeat, frame.Type);
            heartbeats++;
        }

        // Two 1 s intervals without a byte from the client, checked every half interval.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(6));
        // Heartbeats go out every half interval; a loaded machine may fire the timer late enough that the close is
        // due on the same tick as the second one, so at least one is what can be relied on.
        Assert.True(heartbeats >= 1, $"{heartbeats} heartbeats before the close");
    }

    [Fact]
    public async Task A_client_that_sends_heartbeats_stays_connected()
    {
        await using var client = await RawAmqpClient.OpenAsync(node.Port, heartbeat: 1);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            await client.SendFrameAsync(AmqpConstants.FrameHeartbeat, 0, []);
            await Task.Delay(400);
        }

        await client.OpenChannelAsync(1);
    }
}
