using Herald.Protocols.Amqp;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Herald.Frontends.Amqp.Tests;

/// <summary>Limits with non-default values: the handshake timeout and the maximum message size, with a real client.</summary>
public sealed class ConnectionLimitsTests
{
    [Fact]
    public async Task A_client_that_never_completes_the_handshake_is_dropped_after_the_handshake_timeout()
    {
        await using var listener = new AmqpTestListener(new AmqpFrontendOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        await using var client = await RawAmqpClient.ConnectAsync(listener.Port);
        await client.SendAsync(Protocols.Amqp.Frames.AmqpProtocolHeader.Bytes.ToArray());
        await client.ExpectMethodAsync<ConnectionStart>(0);

        // No start-ok: the server gives up and closes the socket.
        await client.ExpectSocketClosedAsync();
    }

    [Fact]
    public async Task RabbitMQ_client_publishing_over_the_maximum_message_size_gets_406_on_that_channel_only()
    {
        await using var listener = new AmqpTestListener(new AmqpFrontendOptions { MaxMessageSizeBytes = 1024 });
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = listener.Port, AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var closed = new TaskCompletionSource<RabbitMQ.Client.Events.ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, e) =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };

        await channel.BasicPublishAsync("", "q", new byte[2048]);
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(406, reason.ReplyCode);
        Assert.Equal("PRECONDITION_FAILED - message size 2048 is larger than configured max size 1024", reason.ReplyText);
        Assert.True(connection.IsOpen);
        await using var another = await connection.CreateChannelAsync();
        Assert.True(another.IsOpen);
        await Assert.ThrowsAsync<AlreadyClosedException>(() => channel.BasicQosAsync(0, 1, false));
    }
}
