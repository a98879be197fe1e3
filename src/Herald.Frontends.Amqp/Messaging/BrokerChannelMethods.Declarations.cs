using Herald.Broker.VirtualHosts;
using Herald.Protocols.Amqp;

namespace Herald.Frontends.Amqp.Messaging;

/// <summary>exchange.* and queue.*: declarations, bindings, purge and delete.</summary>
internal sealed partial class BrokerChannelMethods
{
    public override async ValueTask ExchangeDeclareAsync(ExchangeDeclare method)
    {
        try
        {
            await _host.DeclareExchangeAsync(method.Exchange, method.Type, method.Passive, method.Durable, method.AutoDelete,
                method.Internal, AmqpValues.ToNeutral(method.Arguments));
        }
        catch (MessagingException e)
        {
            throw Failure<ExchangeDeclare>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new ExchangeDeclareOk());
        }
    }

    public override async ValueTask ExchangeDeleteAsync(ExchangeDelete method)
    {
        try
        {
            await _host.DeleteExchangeAsync(method.Exchange, method.IfUnused);
        }
        catch (MessagingException e)
        {
            throw Failure<ExchangeDelete>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new ExchangeDeleteOk());
        }
    }

    public override async ValueTask ExchangeBindAsync(ExchangeBind method)
    {
        try
        {
            await _host.BindExchangeAsync(method.Destination, method.Source, method.RoutingKey, AmqpValues.ToNeutral(method.Arguments));
        }
        catch (MessagingException e)
        {
            throw Failure<ExchangeBind>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new ExchangeBindOk());
        }
    }

    public override async ValueTask ExchangeUnbindAsync(ExchangeUnbind method)
    {
        try
        {
            await _host.UnbindExchangeAsync(method.Destination, method.Source, method.RoutingKey, AmqpValues.ToNeutral(method.Arguments));
        }
        catch (MessagingException e)
        {
            throw Failure<ExchangeUnbind>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new ExchangeUnbindOk());
        }
    }

    public override async ValueTask QueueDeclareAsync(QueueDeclare method)
    {
        QueueDeclareResult declared;
        try
        {
            var name = method.Passive ? QueueName(method.Queue) : method.Queue;
            declared = await _host.DeclareQueueAsync(name, method.Passive, method.Durable, method.Exclusive, method.AutoDelete,
                AmqpValues.ToNeutral(method.Arguments), _connection);
        }
        catch (MessagingException e)
        {
            throw Failure<QueueDeclare>(e);
        }
        _lastQueue = declared.Queue.Name;
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new QueueDeclareOk
            {
                Queue = declared.Queue.Name,
                MessageCount = Count(declared.MessageCount),
                ConsumerCount = (uint)declared.ConsumerCount,
            });
        }
    }

    public override async ValueTask QueueBindAsync(QueueBind method)
    {
        try
        {
            await _host.BindQueueAsync(QueueName(method.Queue), method.Exchange, method.RoutingKey, AmqpValues.ToNeutral(method.Arguments), _connection);
        }
        catch (MessagingException e)
        {
            throw Failure<QueueBind>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new QueueBindOk());
        }
    }

    public override async ValueTask QueueUnbindAsync(QueueUnbind method)
    {
        try
        {
            await _host.UnbindQueueAsync(QueueName(method.Queue), method.Exchange, method.RoutingKey, AmqpValues.ToNeutral(method.Arguments), _connection);
        }
        catch (MessagingException e)
        {
            throw Failure<QueueUnbind>(e);
        }
        await Channel.SendMethodAsync(new QueueUnbindOk());
    }

    public override async ValueTask QueuePurgeAsync(QueuePurge method)
    {
        long purged;
        try
        {
            purged = _host.PurgeQueue(QueueName(method.Queue), _connection);
        }
        catch (MessagingException e)
        {
            throw Failure<QueuePurge>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new QueuePurgeOk { MessageCount = Count(purged) });
        }
    }

    public override async ValueTask QueueDeleteAsync(QueueDelete method)
    {
        long deleted;
        try
        {
            deleted = await _host.DeleteQueueAsync(QueueName(method.Queue), method.IfUnused, method.IfEmpty, _connection);
        }
        catch (MessagingException e)
        {
            throw Failure<QueueDelete>(e);
        }
        if (!method.Nowait)
        {
            await Channel.SendMethodAsync(new QueueDeleteOk { MessageCount = Count(deleted) });
        }
    }

    private static uint Count(long count) => (uint)Math.Clamp(count, 0, uint.MaxValue);
}
