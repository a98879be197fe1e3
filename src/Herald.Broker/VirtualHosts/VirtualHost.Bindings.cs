using Herald.Broker.Exchanges;
using Herald.Broker.Queues;

namespace Herald.Broker.VirtualHosts;

public sealed partial class VirtualHost
{
    /// <summary>queue.bind: routes messages from exchange <paramref name="source"/> to the queue. Binding twice is a no-op.</summary>
    public Task BindQueueAsync(string queueName, string source, string routingKey, IReadOnlyDictionary<string, object?> arguments,
        object? connection, CancellationToken cancellationToken = default) =>
        ChangeBindingAsync(source, () => GetQueue(queueName, connection), routingKey, arguments, bind: true, cancellationToken);

    /// <summary>queue.unbind; unbinding what is not bound succeeds (RabbitMQ 3.x).</summary>
    public Task UnbindQueueAsync(string queueName, string source, string routingKey, IReadOnlyDictionary<string, object?> arguments,
        object? connection, CancellationToken cancellationToken = default) =>
        ChangeBindingAsync(source, () => GetQueue(queueName, connection), routingKey, arguments, bind: false, cancellationToken);

    /// <summary>exchange.bind (a RabbitMQ extension): routes messages from <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public Task BindExchangeAsync(string destination, string source, string routingKey, IReadOnlyDictionary<string, object?> arguments,
        CancellationToken cancellationToken = default) =>
        ChangeBindingAsync(source, () => GetExchangeForBinding(destination), routingKey, arguments, bind: true, cancellationToken);

    public Task UnbindExchangeAsync(string destination, string source, string routingKey, IReadOnlyDictionary<string, object?> arguments,
        CancellationToken cancellationToken = default) =>
        ChangeBindingAsync(source, () => GetExchangeForBinding(destination), routingKey, arguments, bind: false, cancellationToken);

    private Exchange GetExchangeForBinding(string name)
    {
        if (name.Length == 0)
        {
            throw new MessagingException(MessagingError.AccessRefused, "operation not permitted on the default exchange");
        }
        return _exchanges.TryGetValue(name, out var exchange) ? exchange : throw NoExchange(name);
    }

    private async Task ChangeBindingAsync(string sourceName, Func<IBindingDestination> resolveDestination, string routingKey,
        IReadOnlyDictionary<string, object?> arguments, bool bind, CancellationToken cancellationToken)
    {
        if (sourceName.Length == 0)
        {
            throw new MessagingException(MessagingError.AccessRefused, "operation not permitted on the default exchange");
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            var destination = resolveDestination();
            if (!_exchanges.TryGetValue(sourceName, out var source))
            {
                throw NoExchange(sourceName);
            }
            if (source.Type == ExchangeType.Headers && HeadersRouter.ParseMatchMode(arguments) is null)
            {
                throw MessagingException.Precondition(
                    $"Invalid x-match field value {(arguments.TryGetValue("x-match", out var mode) ? mode : null)}; expected all, any, all-with-x, or any-with-x");
            }
            Binding? existing = null;
            foreach (var binding in source.Bindings)
            {
                if (binding.IsSameAs(destination, routingKey, arguments))
                {
                    existing = binding;
                    break;
                }
            }
            if (bind)
            {
                if (existing is not null)
                {
                    return;
                }
                var added = new Binding(source, destination, routingKey, arguments);
                if (IsPersisted(added))
                {
                    await _storage.Metadata.PutAsync(BindingKey(added), EncodeBinding(added), cancellationToken);
                }
                source.AddBinding(added);
            }
            else if (existing is not null)
            {
                var changes = new List<KeyValuePair<string, byte[]?>>();
                AddBindingDeletions([existing], changes);
                await _storage.Metadata.WriteAsync(changes, cancellationToken);
                source.RemoveBinding(existing);
                await DeleteAutoDeleteSourcesLockedAsync([existing], cancellationToken);
            }
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>A binding is durable when both ends are (RabbitMQ): only those go to the metadata store.</summary>
    private static bool IsPersisted(Binding binding) =>
        binding.Source.IsDurable && binding.Destination.IsDurable && binding.Destination is not Queue { IsExclusive: true };

    private void AddBindingDeletions(List<Binding> bindings, List<KeyValuePair<string, byte[]?>> changes)
    {
        foreach (var binding in bindings)
        {
            if (IsPersisted(binding))
            {
                changes.Add(new(BindingKey(binding), null));
            }
        }
    }

    /// <summary>Auto-delete exchanges are deleted when their last binding (as a source) goes.</summary>
    private async Task DeleteAutoDeleteSourcesLockedAsync(List<Binding> removed, CancellationToken cancellationToken)
    {
        foreach (var binding in removed)
        {
            var source = binding.Source;
            if (source.AutoDelete && !source.HasBindings && _exchanges.TryGetValue(source.Name, out var current) &&
                ReferenceEquals(current, source))
            {
                await DeleteExchangeLockedAsync(source, cancellationToken);
            }
        }
    }
}
