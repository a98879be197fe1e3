using Herald.Broker.Exchanges;
using Herald.Broker.Queues;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.VirtualHosts;

/// <summary>The outcome of a queue declare: the queue and its counts (AMQP queue.declare-ok).</summary>
public readonly record struct QueueDeclareResult(Queue Queue, long MessageCount, int ConsumerCount);

public sealed partial class VirtualHost
{
    /// <summary>
    /// queue.declare. An empty name gets a server-generated <c>amq.gen-…</c> name. Passive: 404 unless it exists.
    /// An existing queue must be equivalent (406) and, if exclusive, belong to <paramref name="connection"/> (405).
    /// Durable, non-exclusive queues are written to the metadata store and keep their messages in a log.
    /// </summary>
    public async Task<QueueDeclareResult> DeclareQueueAsync(string name, bool passive, bool durable, bool exclusive,
        bool autoDelete, IReadOnlyDictionary<string, object?> arguments, object? connection, CancellationToken cancellationToken = default)
    {
        if (passive)
        {
            var found = GetQueue(name, connection);
            found.Touch();
            return new QueueDeclareResult(found, found.MessageCount, found.ConsumerCount);
        }
        if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            throw new MessagingException(MessagingError.AccessRefused,
                $"queue name '{name}' contains reserved prefix 'amq.*'");
        }
        var settings = QueueSettings.Parse(arguments);
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (name.Length == 0)
            {
                name = "amq.gen-" + RandomName();
            }
            if (_queues.TryGetValue(name, out var existing))
            {
                existing.CheckOwner(connection);
                if (!existing.IsEquivalent(durable, exclusive, autoDelete, arguments))
                {
                    throw MessagingException.Precondition(
                        $"inequivalent arg for queue '{name}' in vhost '{Name}': the declared durable, exclusive, auto_delete or arguments differ from the existing queue's");
                }
                existing.Touch();
                return new QueueDeclareResult(existing, existing.MessageCount, existing.ConsumerCount);
            }
            var persisted = durable && !exclusive;
            var queue = persisted
                ? await CreateDurableQueueAsync(name, autoDelete, arguments, settings, cancellationToken)
                : new Queue(this, name, Guid.NewGuid(), durable, exclusive ? connection : null, autoDelete, arguments, settings,
                    null, null, _clock, _logger);
            _queues[name] = queue;
            queue.StartExpiryClock();
            return new QueueDeclareResult(queue, 0, 0);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>The name prefix of direct reply-to queues (RabbitMQ's <c>amq.rabbitmq.reply-to</c>).</summary>
    public const string DirectReplyToPrefix = "amq.rabbitmq.reply-to.";

    /// <summary>
    /// A direct reply-to queue for <paramref name="connection"/>: exclusive, auto-delete, in memory, named
    /// <c>amq.rabbitmq.reply-to.&lt;random&gt;</c> so a reply published to the default exchange with that routing key
    /// reaches it. A front end consumes from it (no-ack) and puts its name in the request's reply-to.
    /// </summary>
    public Queue DeclareDirectReplyQueue(object connection)
    {
        var name = DirectReplyToPrefix + RandomName();
        var queue = new Queue(this, name, Guid.NewGuid(), durable: false, connection, autoDelete: true,
            Messages.NeutralValue.EmptyTable, QueueSettings.Default, null, null, _clock, _logger);
        _queues[name] = queue;
        return queue;
    }

    private async Task<Queue> CreateDurableQueueAsync(string name, bool autoDelete, IReadOnlyDictionary<string, object?> arguments,
        QueueSettings settings, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var queue = OpenDurableQueue(name, id, autoDelete, arguments, settings);
        await _storage.Metadata.PutAsync(QueueKey(name), EncodeQueue(queue), cancellationToken);
        return queue;
    }

    private Queue OpenDurableQueue(string name, Guid id, bool autoDelete, IReadOnlyDictionary<string, object?> arguments, QueueSettings settings)
    {
        var (messagesLog, acksLog) = Queue.LogNamesFor(id);
        var baseline = _storage.DefaultLogOptions;
        var log = _storage.OpenLog(messagesLog, Queue.MessageLogOptions(baseline));
        var acks = new QueueAckLog(_storage.OpenLog(acksLog, QueueAckLog.LogOptionsFor(baseline)), _clock);
        return new Queue(this, name, id, durable: true, null, autoDelete, arguments, settings, log, acks, _clock, _logger);
    }

    /// <summary>
    /// queue.delete: returns the number of ready messages it had. Deleting a queue that does not exist succeeds with
    /// 0 (RabbitMQ 3.x). <paramref name="ifUnused"/> keeps a queue with consumers, <paramref name="ifEmpty"/> one with
    /// messages (406). Its consumers are cancelled with a notification.
    /// </summary>
    public async Task<long> DeleteQueueAsync(string name, bool ifUnused, bool ifEmpty, object? connection,
        CancellationToken cancellationToken = default)
    {
        if (!_queues.TryGetValue(name, out var queue))
        {
            return 0;
        }
        queue.CheckOwner(connection);
        if (ifUnused && queue.ConsumerCount > 0)
        {
            throw MessagingException.Precondition($"queue '{name}' in vhost '{Name}' in use");
        }
        if (ifEmpty && queue.MessageCount > 0)
        {
            throw MessagingException.Precondition($"queue '{name}' in vhost '{Name}' not empty");
        }
        var count = queue.MessageCount;
        await DeleteQueueCoreAsync(queue, "deleted by a client", cancellationToken);
        return count;
    }

    /// <summary>queue.purge: removes the ready messages and returns how many.</summary>
    public long PurgeQueue(string name, object? connection) => GetQueue(name, connection).Purge();

    /// <summary>Deletes an auto-delete queue whose last consumer left, or one unused for its x-expires time.</summary>
    internal void DeleteUnusedQueueInBackground(Queue queue, string reason) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await DeleteQueueCoreAsync(queue, reason, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning(e, "Deleting {Queue} failed", queue);
            }
        });

    private async Task DeleteQueueCoreAsync(Queue queue, string reason, CancellationToken cancellationToken)
    {
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (!_queues.TryGetValue(queue.Name, out var current) || !ReferenceEquals(current, queue))
            {
                return;
            }
            var removed = new List<Binding>();
            foreach (var exchange in _exchanges.Values)
            {
                foreach (var binding in exchange.Bindings)
                {
                    if (ReferenceEquals(binding.Destination, queue))
                    {
                        removed.Add(binding);
                    }
                }
            }
            var changes = new List<KeyValuePair<string, byte[]?>>();
            if (queue.IsDurable && !queue.IsExclusive)
            {
                changes.Add(new(QueueKey(queue.Name), null));
            }
            AddBindingDeletions(removed, changes);
            // The metadata goes first: a crash before the logs are deleted leaves orphan logs that the next start
            // removes, never a queue that comes back.
            await _storage.Metadata.WriteAsync(changes, cancellationToken);
            _queues.TryRemove(queue.Name, out _);
            foreach (var binding in removed)
            {
                binding.Source.RemoveBinding(binding);
            }
            var consumers = queue.MarkDeleted();
            foreach (var consumer in consumers)
            {
                consumer.Session.OnConsumerCancelled(consumer);
            }
            if (queue.IsDurable && !queue.IsExclusive)
            {
                var (messagesLog, acksLog) = Queue.LogNamesFor(queue.Id);
                await _storage.DeleteLogAsync(messagesLog);
                await _storage.DeleteLogAsync(acksLog);
            }
            await DeleteAutoDeleteSourcesLockedAsync(removed, cancellationToken);
            _logger.LogInformation("Deleted {Queue}: {Reason}", queue, reason);
        }
        finally
        {
            _changeLock.Release();
        }
    }
}
