using Herald.Broker.Exchanges;
using Herald.Broker.Messages;
using Herald.Broker.Queues;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.VirtualHosts;

/// <summary>Whether a publish found its exchange and any queue.</summary>
public enum PublishStatus
{
    /// <summary>At least one queue took the message (or refused it for being full: see <see cref="PublishResult.Rejected"/>).</summary>
    Routed,

    /// <summary>No queue matched (AMQP: basic.return 312 NO_ROUTE when mandatory; the confirm is still an ack).</summary>
    Unroutable,

    /// <summary>The exchange does not exist (404).</summary>
    ExchangeNotFound,

    /// <summary>The exchange is internal (403).</summary>
    ExchangeInternal,
}

/// <summary>
/// The outcome of a publish. <see cref="Durable"/> completes when every persistent copy is durable under the fsync
/// policy: what a publisher confirm waits for. <see cref="Rejected"/> means some queue refused it (x-overflow
/// reject-publish or a storage error): the confirm is a nack.
/// </summary>
public readonly record struct PublishResult(PublishStatus Status, int QueueCount, bool Rejected, Task Durable);

public sealed partial class VirtualHost
{
    /// <summary>
    /// Routes <paramref name="message"/> from the exchange it names and stores it in every queue reached (once per
    /// queue however many bindings match). Returns once the message is in every queue's log; the result's task
    /// says when it is durable.
    /// </summary>
    public PublishResult Publish(Message message)
    {
        var exchangeName = message.Exchange;
        if (!_exchanges.TryGetValue(exchangeName, out var exchange))
        {
            return new PublishResult(PublishStatus.ExchangeNotFound, 0, false, Task.CompletedTask);
        }
        if (exchange.Internal)
        {
            return new PublishResult(PublishStatus.ExchangeInternal, 0, false, Task.CompletedTask);
        }
        var collector = RouteCollector.Rent();
        try
        {
            if (exchange.IsDefault)
            {
                if (_queues.TryGetValue(message.RoutingKey, out var queue) && !queue.IsDeleted)
                {
                    collector.AddQueue(queue);
                }
            }
            else
            {
                exchange.Route(message.RoutingKey, message.Properties.Headers, collector, _resolveExchange);
            }
            return Deliver(message, collector.Queues);
        }
        finally
        {
            RouteCollector.Return(collector);
        }
    }

    private static PublishResult Deliver(Message message, List<Queue> queues)
    {
        if (queues.Count == 0)
        {
            return new PublishResult(PublishStatus.Unroutable, 0, false, Task.CompletedTask);
        }
        var encodedHeaders = MessageRecordCodec.EncodeHeaders(message);
        var encodedDeaths = MessageRecordCodec.EncodeDeaths(message);
        var rejected = false;
        Task? single = null;
        List<Task>? several = null;
        foreach (var queue in queues)
        {
            if (queue.Enqueue(message, encodedHeaders, encodedDeaths, out var durable) == EnqueueOutcome.Rejected)
            {
                rejected = true;
            }
            if (durable.IsCompleted && !durable.IsFaulted)
            {
                continue;
            }
            if (single is null)
            {
                single = durable;
            }
            else
            {
                (several ??= [single]).Add(durable);
            }
        }
        var task = several is not null ? Task.WhenAll(several) : single ?? Task.CompletedTask;
        return new PublishResult(PublishStatus.Routed, queues.Count, rejected, task);
    }

    /// <summary>Routes a dead-lettered copy; a missing dead-letter exchange drops it, as RabbitMQ does.</summary>
    internal void PublishDeadLetter(Queue from, Message message)
    {
        var result = Publish(message);
        if (result.Status == PublishStatus.ExchangeNotFound)
        {
            _logger.LogDebug("Dead-letter exchange {Exchange} of {Queue} does not exist; message dropped", message.Exchange, from);
        }
    }
}
