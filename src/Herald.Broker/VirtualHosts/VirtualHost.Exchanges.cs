using Herald.Broker.Exchanges;

namespace Herald.Broker.VirtualHosts;

public sealed partial class VirtualHost
{
    /// <summary>
    /// exchange.declare. Passive: succeeds only if it exists (404). Otherwise creates it, or checks that the existing
    /// one is equivalent (406). Names starting with <c>amq.</c> are reserved (403).
    /// </summary>
    public async Task<Exchange> DeclareExchangeAsync(string name, string typeName, bool passive, bool durable, bool autoDelete,
        bool @internal, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken = default)
    {
        if (passive)
        {
            return _exchanges.TryGetValue(name, out var found) ? found : throw NoExchange(name);
        }
        if (name.Length == 0)
        {
            throw new MessagingException(MessagingError.AccessRefused, "operation not permitted on the default exchange");
        }
        if (!ExchangeTypes.TryParse(typeName, out var type))
        {
            throw new MessagingException(MessagingError.CommandInvalid, $"unknown exchange type '{typeName}'");
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (_exchanges.TryGetValue(name, out var existing))
            {
                CheckEquivalent(existing, type, durable, autoDelete, @internal, arguments);
                return existing;
            }
            if (name.StartsWith("amq.", StringComparison.Ordinal))
            {
                throw new MessagingException(MessagingError.AccessRefused,
                    $"exchange name '{name}' contains reserved prefix 'amq.*'");
            }
            var exchange = new Exchange(name, type, durable, autoDelete, @internal, arguments);
            if (durable)
            {
                await _storage.Metadata.PutAsync(ExchangeKey(name), EncodeExchange(exchange), cancellationToken);
            }
            _exchanges[name] = exchange;
            return exchange;
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>
    /// exchange.delete: removes it and every binding from or to it. Deleting an exchange that does not exist succeeds
    /// (RabbitMQ 3.x); with <paramref name="ifUnused"/> an exchange that is the source of bindings is kept (406).
    /// </summary>
    public async Task DeleteExchangeAsync(string name, bool ifUnused, CancellationToken cancellationToken = default)
    {
        if (name.Length == 0 || name.StartsWith("amq.", StringComparison.Ordinal))
        {
            throw new MessagingException(MessagingError.AccessRefused,
                name.Length == 0 ? "operation not permitted on the default exchange"
                    : $"exchange name '{name}' contains reserved prefix 'amq.*'");
        }
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            if (!_exchanges.TryGetValue(name, out var exchange))
            {
                return;
            }
            if (ifUnused && exchange.HasBindings)
            {
                throw MessagingException.Precondition($"exchange '{name}' in vhost '{Name}' in use");
            }
            await DeleteExchangeLockedAsync(exchange, cancellationToken);
        }
        finally
        {
            _changeLock.Release();
        }
    }

    private async Task DeleteExchangeLockedAsync(Exchange exchange, CancellationToken cancellationToken)
    {
        var removed = new List<Binding>(exchange.Bindings);
        foreach (var source in _exchanges.Values)
        {
            foreach (var binding in source.Bindings)
            {
                if (ReferenceEquals(binding.Destination, exchange))
                {
                    removed.Add(binding);
                }
            }
        }
        var changes = new List<KeyValuePair<string, byte[]?>>();
        if (exchange.IsDurable)
        {
            changes.Add(new(ExchangeKey(exchange.Name), null));
        }
        AddBindingDeletions(removed, changes);
        await _storage.Metadata.WriteAsync(changes, cancellationToken);
        _exchanges.TryRemove(exchange.Name, out _);
        foreach (var binding in removed)
        {
            binding.Source.RemoveBinding(binding);
        }
        await DeleteAutoDeleteSourcesLockedAsync(removed, cancellationToken);
    }

    private void CheckEquivalent(Exchange existing, ExchangeType type, bool durable, bool autoDelete, bool @internal,
        IReadOnlyDictionary<string, object?> arguments)
    {
        if (existing.IsEquivalent(type, durable, autoDelete, @internal, arguments))
        {
            return;
        }
        var (field, received, current) =
            existing.Type != type ? ("type", ExchangeTypes.Name(type), ExchangeTypes.Name(existing.Type))
            : existing.IsDurable != durable ? ("durable", Flag(durable), Flag(existing.IsDurable))
            : existing.AutoDelete != autoDelete ? ("auto_delete", Flag(autoDelete), Flag(existing.AutoDelete))
            : existing.Internal != @internal ? ("internal", Flag(@internal), Flag(existing.Internal))
            : ("arguments", "different arguments", "other arguments");
        throw MessagingException.Precondition(
            $"inequivalent arg '{field}' for exchange '{existing.Name}' in vhost '{Name}': received '{received}' but current is '{current}'");
    }

    private static string Flag(bool value) => value ? "true" : "false";
}
