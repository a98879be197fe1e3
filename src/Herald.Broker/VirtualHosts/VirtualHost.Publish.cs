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
        var result = default(PublishResult);
        Publish(new ReadOnlySpan<Message>(in message), new Span<PublishResult>(ref result));
        return result;
    }

    /// <summary>
    /// Publishes a burst (what one read of a connection carried), in order, with the outcome of each in
    /// <paramref name="results"/>: the same as publishing them one by one, except that each queue stores its share
    /// with one append (one write, and one durable task for its persistent messages). Stops after the first message
    /// whose exchange is missing or internal (that error ends the publisher's channel, so the rest must not be
    /// stored) and returns how many results it filled.
    /// </summary>
    public int Publish(ReadOnlySpan<Message> messages, Span<PublishResult> results)
    {
        var batch = PublishBatch.Rent();
        try
        {
            var count = 0;
            while (count < messages.Length)
            {
                var status = Route(messages[count], batch, count);
                results[count++] = new PublishResult(status, 0, false, Task.CompletedTask);
                if (status is PublishStatus.ExchangeNotFound or PublishStatus.ExchangeInternal)
                {
                    break;
                }
            }
            batch.Deliver(results[..count]);
            return count;
        }
        finally
        {
            PublishBatch.Return(batch);
        }
    }

    private PublishStatus Route(Message message, PublishBatch batch, int index)
    {
        if (!_exchanges.TryGetValue(message.Exchange, out var exchange))
        {
            return PublishStatus.ExchangeNotFound;
        }
        if (exchange.Internal)
        {
            return PublishStatus.ExchangeInternal;
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
            if (collector.Queues.Count == 0)
            {
                return PublishStatus.Unroutable;
            }
            batch.Add(index, message, collector.Queues);
            return PublishStatus.Routed;
        }
        finally
        {
            RouteCollector.Return(collector);
        }
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
