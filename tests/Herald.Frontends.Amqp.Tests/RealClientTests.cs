using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>
/// The connection layer with unmodified clients: RabbitMQ.Client 7, pika and amqplib open and close connections
/// and channels, negotiate tune values, see RabbitMQ's capabilities, and raise their own exceptions for a wrong
/// password (403), an unknown vhost (530) and a channel method Herald does not implement yet (540).
/// </summary>
[Collection(HeraldCollection.Name)]
public sealed class RealClientTests(HeraldNode node)
{
    private ConnectionFactory Factory(string password = "guest", string vhost = "/") => new()
    {
        HostName = "127.0.0.1",
        Port = node.Port,
        UserName = "guest",
        Password = password,
        VirtualHost = vhost,
        RequestedHeartbeat = TimeSpan.FromSeconds(10),
        AutomaticRecoveryEnabled = false,
    };

    [Fact]
    public async Task RabbitMQ_client_opens_and_closes_a_connection_and_channels()
    {
        await using var connection = await Factory().CreateConnectionAsync();

        Assert.Equal(TimeSpan.FromSeconds(10), connection.Heartbeat);
        Assert.Equal(131072u, connection.FrameMax);
        Assert.Equal(2047, connection.ChannelMax);
        Assert.Equal("Herald"u8.ToArray(), connection.ServerProperties!["product"]);
        var capabilities = Assert.IsType<Dictionary<string, object?>>(connection.ServerProperties["capabilities"]);
        foreach (var capability in new[] { "publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
                     "connection.blocked", "consumer_priorities", "authentication_failure_close", "per_consumer_qos", "direct_reply_to" })
        {
            Assert.Equal(true, capabilities[capability]);
        }

        await using var first = await connection.CreateChannelAsync();
        await using var second = await connection.CreateChannelAsync();
        Assert.True(first.IsOpen);
        Assert.NotEqual(first.ChannelNumber, second.ChannelNumber);
        await first.CloseAsync();
        Assert.True(first.IsClosed);
        Assert.True(second.IsOpen);
        await second.CloseAsync();
        await connection.CloseAsync();
        Assert.False(connection.IsOpen);
        Assert.Equal(200, connection.CloseReason!.ReplyCode);
    }

    [Fact]
    public async Task RabbitMQ_client_raises_its_authentication_error_for_a_wrong_password()
    {
        var error = await Assert.ThrowsAsync<BrokerUnreachableException>(() => Factory(password: "wrong").CreateConnectionAsync());
        var authentication = Assert.IsType<AuthenticationFailureException>(error.InnerException);
        Assert.Contains("ACCESS_REFUSED", authentication.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RabbitMQ_client_is_refused_an_unknown_vhost_with_530()
    {
        // RabbitMQ.Client 7.1.2 returns from CreateConnectionAsync once connection.open is sent, without waiting for
        // open-ok (rabbitmq-dotnet-client issue 1999), so the refusal arrives as the connection's shutdown.
        var connection = await Factory(vhost: "no-such-vhost").CreateConnectionAsync();
        var shutdown = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            shutdown.TrySetResult(e);
            return Task.CompletedTask;
        };
        if (connection.CloseReason is { } already)
        {
            shutdown.TrySetResult(already);
        }

        var reason = await shutdown.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(530, reason.ReplyCode);
        Assert.Equal("NOT_ALLOWED - vhost no-such-vhost not found", reason.ReplyText);
        connection.Dispose();
    }

    [Fact]
    public async Task RabbitMQ_client_sees_540_for_a_channel_method_not_implemented_yet()
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        // Every channel method is implemented now; a prefetch size is not (RabbitMQ answers it with 540 too).
        var error = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() => channel.BasicQosAsync(1, 0, false));

        Assert.Equal(540, error.ShutdownReason!.ReplyCode);
        Assert.Equal("NOT_IMPLEMENTED - prefetch_size!=0 (1)", error.ShutdownReason.ReplyText);
        Assert.False(connection.IsOpen);
    }

    [Fact]
    public async Task Pika_opens_and_closes_a_connection_and_a_channel()
    {
        var lines = await ClientScripts.PikaAsync("open-close", node.Port);

        Assert.Equal(
        [
            "product=Herald",
            "capabilities=authentication_failure_close,basic.nack,connection.blocked,consumer_cancel_notify,consumer_priorities,direct_reply_to,exchange_exchange_bindings,per_consumer_qos,publisher_confirms",
            "heartbeat=10",
            "frame_max=131072",
            "channel_max=2047",
            "channel=1",
            "channel_closed=True",
            "connection_closed=True",
        ], lines);
    }

    [Fact]
    public async Task Pika_raises_its_authentication_error_for_a_wrong_password()
    {
        var lines = await ClientScripts.PikaAsync("bad-password", node.Port);

        var line = Assert.Single(lines);
        Assert.StartsWith("auth_error=", line, StringComparison.Ordinal);
        Assert.Contains("403", line, StringComparison.Ordinal);
        Assert.Contains("ACCESS_REFUSED", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pika_is_refused_an_unknown_vhost_with_530()
    {
        var line = Assert.Single(await ClientScripts.PikaAsync("bad-vhost", node.Port));

        Assert.Contains("530", line, StringComparison.Ordinal);
        Assert.Contains("NOT_ALLOWED - vhost no-such-vhost not found", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pika_sees_540_for_a_channel_method_not_implemented_yet()
    {
        var line = Assert.Single(await ClientScripts.PikaAsync("not-implemented", node.Port));

        Assert.Equal("closed=540 NOT_IMPLEMENTED - prefetch_size!=0 (1)", line);
    }

    [Fact]
    public async Task Amqplib_opens_and_closes_a_connection_and_a_channel()
    {
        var lines = await ClientScripts.AmqplibAsync("open-close", node.Port);

        Assert.Equal(
        [
            "product=Herald",
            "heartbeat=10",
            "frame_max=131072",
            "channel=1",
            "channel_closed=true",
            "connection_closed=true",
        ], lines);
    }

    [Fact]
    public async Task Amqplib_raises_its_authentication_error_for_a_wrong_password()
    {
        var line = Assert.Single(await ClientScripts.AmqplibAsync("bad-password", node.Port));

        Assert.StartsWith("auth_error=", line, StringComparison.Ordinal);
        Assert.Contains("403", line, StringComparison.Ordinal);
        Assert.Contains("ACCESS", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Amqplib_is_refused_an_unknown_vhost()
    {
        var line = Assert.Single(await ClientScripts.AmqplibAsync("bad-vhost", node.Port));

        // amqplib reports a close during the handshake without its reply code.
        Assert.Equal("error=Expected ConnectionOpenOk; got <ConnectionClose channel:0>", line);
    }

    [Fact]
    public async Task Amqplib_sees_540_for_a_channel_method_not_implemented_yet()
    {
        var line = Assert.Single(await ClientScripts.AmqplibAsync("not-implemented", node.Port));

        Assert.StartsWith("closed=540 ", line, StringComparison.Ordinal);
        Assert.Contains("NOT_IMPLEMENTED - prefetch_size!=0 (1)", line, StringComparison.Ordinal);
    }
}
