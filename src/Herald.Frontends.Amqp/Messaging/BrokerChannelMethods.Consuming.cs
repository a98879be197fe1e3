using Herald.Broker.Queues;
using Herald.Broker.VirtualHosts;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>basic.qos, consume, cancel, get, ack, nack, reject, recover, and deliveries to this channel.</summary>
internal sealed partial class BrokerChannelMethods
{
    private Queue? _replyQueue;
    // 1 while deliveries to this channel are paused because the connection's output is backed up.
    private int _pausedForOutput;

    public override async ValueTask BasicQosAsync(BasicQos method)
    {
        if (method.PrefetchSize != 0)
        {
            throw new AmqpConnectionException(AmqpReplyCode.NotImplemented, $"prefetch_size!=0 ({method.PrefetchSize})",
                BasicQos.ProtocolClassId, BasicQos.ProtocolMethodId);
        }
        _session.SetPrefetch(method.PrefetchCount, method.Global);
        await Channel.SendMethodAsync(new BasicQosOk());
    }

    public override ValueTask BasicConsumeAsync(BasicConsume method)
    {
        try
        {
            var queue = method.Queue;
            if (queue == DirectReplyTo)
            {
                if (!method.NoAck)
                {
                    throw new MessagingException(MessagingError.PreconditionFailed, "reply consumer cannot acknowledge");
                }
                _replyQueue ??= _host.DeclareDirectReplyQueue(_connection);
                queue = _replyQueue.Name;
            }
            // consume-ok goes out from the registration callback: before the first delivery, as the client expects.
            _session.Consume(QueueName(queue), method.ConsumerTag, method.NoAck, method.Exclusive, AmqpValues.ToNeutral(method.Arguments),
                consumer =>
                {
                    if (!method.Nowait)
                    {
                        Send(new BasicConsumeOk { ConsumerTag = consumer.Tag });
                    }
                });
            return ValueTask.CompletedTask;
        }
        catch (MessagingException e)
        {
            throw Failure<BasicConsume>(e);
        }
    }

    public override async ValueTask BasicCancelAsync(BasicCancel method)
    {
        _session.Cancel(method.ConsumerTag);
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new BasicCancelOk { ConsumerTag = method.ConsumerTag });
        }
    }

    public override async ValueTask BasicGetAsync(BasicGet method)
    {
        Delivery? got;
        try
        {
            got = _session.Get(QueueName(method.Queue), method.NoAck);
        }
        catch (MessagingException e)
        {
            throw Failure<BasicGet>(e);
        }
        if (got is not { } delivery)
        {
            await Channel.SendMethodAsync(new BasicGetEmpty());
            return;
        }
        var message = delivery.Message;
        SendContent(new BasicGetOk
        {
            DeliveryTag = (ulong)delivery.DeliveryTag,
            Redelivered = delivery.Redelivered,
            Exchange = message.Exchange,
            RoutingKey = message.RoutingKey,
            MessageCount = Count(delivery.MessageCount),
        }, ContentProperties.ForDelivery(message), message.Body);
    }

    public override ValueTask BasicAckAsync(BasicAck method)
    {
        if (_transactionSettlements is not null)
        {
            _transactionSettlements.Add(() => _session.Ack((long)method.DeliveryTag, method.Multiple));
            return ValueTask.CompletedTask;
        }
        try
        {
            _session.Ack((long)method.DeliveryTag, method.Multiple);
            return ValueTask.CompletedTask;
        }
        catch (MessagingException e)
        {
            throw Failure<BasicAck>(e);
        }
    }

    public override ValueTask BasicNackAsync(BasicNack method) =>
        Nack<BasicNack>((long)method.DeliveryTag, method.Multiple, method.Requeue);

    public override ValueTask BasicRejectAsync(BasicReject method) =>
        Nack<BasicReject>((long)method.DeliveryTag, multiple: false, method.Requeue);

    private ValueTask Nack<TMethod>(long deliveryTag, bool multiple, bool requeue) where TMethod : struct, IAmqpMethod
    {
        if (_transactionSettlements is not null)
        {
            _transactionSettlements.Add(() => _session.Nack(deliveryTag, multiple, requeue));
            return ValueTask.CompletedTask;
        }
        try
        {
            _session.Nack(deliveryTag, multiple, requeue);
            return ValueTask.CompletedTask;
        }
        catch (MessagingException e)
        {
            throw Failure<TMethod>(e);
        }
    }

    public override ValueTask BasicRecoverAsyncAsync(BasicRecoverAsync method)
    {
        _session.Recover();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask BasicRecoverAsync(BasicRecover method)
    {
        _session.Recover();
        await Channel.SendMethodAsync(new BasicRecoverOk());
    }

    /// <summary>A delivery from the broker (any thread, in tag order): basic.deliver with the stored properties and body.</summary>
    public void OnDelivery(QueueConsumer consumer, in Delivery delivery)
    {
        var message = delivery.Message;
        SendContent(new BasicDeliver
        {
            ConsumerTag = consumer.Tag,
            DeliveryTag = (ulong)delivery.DeliveryTag,
            Redelivered = delivery.Redelivered,
            Exchange = message.Exchange,
            RoutingKey = message.RoutingKey,
        }, ContentProperties.ForDelivery(message), message.Body);
        if (Channel.IsOutputBackedUp)
        {
            PauseUntilOutputDrains();
        }
    }

    /// <summary>
    /// The client reads more slowly than the queues deliver: the session takes no more deliveries until the
    /// connection's output has drained, so a slow consumer (above all a no-ack one without prefetch) never makes the
    /// broker buffer without bound. Messages not delivered stay ready in their queues, for this or other consumers.
    /// </summary>
    private void PauseUntilOutputDrains()
    {
        if (Interlocked.Exchange(ref _pausedForOutput, 1) == 1)
        {
            return;
        }
        _session.Pause();
        Channel.WhenOutputDrained().ContinueWith(static (_, state) =>
        {
            var self = (BrokerChannelMethods)state!;
            Volatile.Write(ref self._pausedForOutput, 0);
            self._session.Resume();
        }, this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Consumer cancel notification (RabbitMQ's consumer_cancel_notify): the queue was deleted.</summary>
    public void OnCancelled(QueueConsumer consumer) => Send(new BasicCancel { ConsumerTag = consumer.Tag, Nowait = true });
}
