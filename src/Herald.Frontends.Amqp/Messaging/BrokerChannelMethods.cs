using System.Buffers;
using Herald.Broker.Messages;
using Herald.Broker.Queues;
using Herald.Broker.VirtualHosts;
using Herald.Frontends.Amqp.Channels;
using Herald.Frontends.Amqp.Connections;
using Herald.Protocols.Amqp;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// The channel-level methods of one open AMQP channel (exchange 40, queue 50, basic 60, confirm 85, tx 90) on the
/// broker's neutral model: declarations go to the <see cref="VirtualHost"/>, consumption and acknowledgements to the
/// channel's <see cref="DeliverySession"/>, and deliveries come back through <see cref="IDeliveryTarget"/>. Methods
/// arrive one at a time from the connection's read loop; deliveries arrive from broker threads and only send.
/// Broker errors become channel (or, for hard errors, connection) exceptions with RabbitMQ's reply codes and texts.
/// The partial files split it: declarations, publishing, consuming, confirms and transactions.
/// </summary>
internal sealed partial class BrokerChannelMethods : AmqpChannelMethods, IDeliveryTarget
{
    /// <summary>The pseudo-queue name clients consume from for direct reply-to.</summary>
    public const string DirectReplyTo = "amq.rabbitmq.reply-to";

    private readonly VirtualHost _host;
    private readonly object _connection;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly DeliverySession _session;
    // The last queue this channel declared: AMQP lets later methods name it with "".
    private string _lastQueue = "";

    /// <summary>The factory <see cref="AmqpFrontend"/> uses to make each channel's handler.</summary>
    public static Func<AmqpChannel, AmqpChannelMethods> Factory(ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger<BrokerChannelMethods>();
        return channel => new BrokerChannelMethods(channel, channel.Connection, channel.Broker.Clock, logger);
    }

    /// <summary>A connection ended: its exclusive and direct reply-to queues are deleted, as RabbitMQ does.</summary>
    internal static async ValueTask ConnectionClosedAsync(AmqpConnection connection)
    {
        if (connection.VirtualHost.Length > 0 && connection.Frontend.Broker.VirtualHosts.TryGet(connection.VirtualHost, out var host))
        {
            await host.ReleaseConnectionAsync(connection);
        }
    }

    public BrokerChannelMethods(AmqpChannel channel, object connection, TimeProvider clock, ILogger logger)
        : base(channel)
    {
        _host = channel.Broker.VirtualHosts.TryGet(channel.VirtualHost, out var host)
            ? host
            : throw new AmqpConnectionException(AmqpReplyCode.NotAllowed, $"vhost {channel.VirtualHost} not found");
        _connection = connection;
        _clock = clock;
        _logger = logger;
        _session = _host.OpenSession(connection, this);
    }

    /// <summary>
    /// The channel closed (either side) or its connection ended: publishes still held are published (they came before
    /// the close, as RabbitMQ would have routed them), consumers end, unacked messages return.
    /// </summary>
    public override ValueTask ClosedAsync()
    {
        try
        {
            PublishPending();
        }
        catch (MessagingException)
        {
            // The channel is closing anyway; the rest of what was held goes with it.
        }
        _session.Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>A broker error as the AMQP exception the connection layer turns into channel.close or connection.close.</summary>
    private static AmqpException Failure<TMethod>(MessagingException error) where TMethod : struct, IAmqpMethod
    {
        var code = AmqpValues.ReplyCode(error.Error);
        return AmqpReplyCodes.IsHardError(code)
            ? new AmqpConnectionException(code, error.Message, TMethod.ProtocolClassId, TMethod.ProtocolMethodId)
            : new AmqpChannelException(code, error.Message, TMethod.ProtocolClassId, TMethod.ProtocolMethodId);
    }

    /// <summary>
    /// Sends a method without waiting for the flush (callers on broker threads must not block); the flush is
    /// deferred so that a burst of pushes (a dispatch batch, a group commit's confirms) leaves in one socket write.
    /// </summary>
    private void Send<TMethod>(TMethod method) where TMethod : struct, IAmqpMethod => Observe(Channel.SendMethodAsync(method, flush: false));

    private void SendContent<TMethod>(TMethod method, ReadOnlyMemory<byte> properties, ReadOnlyMemory<byte> body)
        where TMethod : struct, IAmqpMethod =>
        Observe(Channel.SendContentAsync(method, properties, new ReadOnlySequence<byte>(body), flush: false));

    /// <summary>
    /// Sends queue in order on the connection's output lock (first come, first served), so a send need not be awaited
    /// for ordering; a failure means the connection is gone, which its own shutdown handles.
    /// </summary>
    private void Observe(ValueTask send)
    {
        if (send.IsCompletedSuccessfully)
        {
            return;
        }
        send.AsTask().ContinueWith(static (task, state) => ((ILogger)state!).LogDebug(task.Exception, "AMQP send failed"), _logger,
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private string QueueName(string name) =>
        name.Length > 0 ? name : _lastQueue.Length > 0 ? _lastQueue
            : throw new MessagingException(MessagingError.NotFound, "no previously declared queue");

    private Message NewMessage(string exchange, string routingKey, ReadOnlyMemory<byte> body, MessageProperties properties) =>
        new(exchange, routingKey, body, properties, _clock.GetUtcNow().ToUnixTimeMilliseconds());
}
