using System.Security.Cryptography;
using Herald.Broker.Exchanges;
using Herald.Broker.Messages;
using Herald.Broker.Queues;
using Microsoft.Extensions.Logging;

namespace Herald.Broker.VirtualHosts;

/// <summary>
/// Metadata records of a virtual host's durable entities (values are <see cref="NeutralValue"/> tables):
/// <c>exchange/&lt;vhost&gt;\0&lt;name&gt;</c>, <c>queue/&lt;vhost&gt;\0&lt;name&gt;</c> (with the id that names its
/// logs), and <c>binding/&lt;vhost&gt;\0&lt;source&gt;\0&lt;kind&gt;\0&lt;destination&gt;\0&lt;key&gt;\0&lt;arguments hash&gt;</c>.
/// </summary>
public sealed partial class VirtualHost
{
    private const char Separator = '\0';

    internal string ExchangeKey(string name) => $"exchange/{Name}{Separator}{name}";

    internal string QueueKey(string name) => $"queue/{Name}{Separator}{name}";

    internal string BindingKey(Binding binding)
    {
        var argumentsHash = Convert.ToHexString(SHA256.HashData(NeutralValue.EncodeTable(binding.Arguments)).AsSpan(0, 8));
        var kind = binding.Destination is Queue ? 'q' : 'e';
        return $"binding/{Name}{Separator}{binding.Source.Name}{Separator}{kind}{Separator}{binding.Destination.Name}{Separator}{binding.RoutingKey}{Separator}{argumentsHash}";
    }

    private static byte[] EncodeExchange(Exchange exchange) => NeutralValue.EncodeTable(new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["name"] = exchange.Name,
        ["type"] = ExchangeTypes.Name(exchange.Type),
        ["auto-delete"] = exchange.AutoDelete,
        ["internal"] = exchange.Internal,
        ["arguments"] = exchange.Arguments,
    });

    private static byte[] EncodeQueue(Queue queue) => NeutralValue.EncodeTable(new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["name"] = queue.Name,
        ["id"] = queue.Id.ToString("N"),
        ["auto-delete"] = queue.AutoDelete,
        ["arguments"] = queue.Arguments,
    });

    private static byte[] EncodeBinding(Binding binding) => NeutralValue.EncodeTable(new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["source"] = binding.Source.Name,
        ["kind"] = binding.Destination is Queue ? "queue" : "exchange",
        ["destination"] = binding.Destination.Name,
        ["routing-key"] = binding.RoutingKey,
        ["arguments"] = binding.Arguments,
    });

    /// <summary>
    /// Loads the durable exchanges, queues (recovering their messages) and bindings of this virtual host from the
    /// metadata entries. A damaged record is logged and skipped; the rest still load.
    /// </summary>
    internal void Load(IReadOnlyDictionary<string, byte[]> entries, HashSet<string> referencedLogs)
    {
        var exchangePrefix = ExchangeKey("");
        var queuePrefix = QueueKey("");
        var bindingPrefix = $"binding/{Name}{Separator}";
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(exchangePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            TryLoad(key, () =>
            {
                var table = NeutralValue.DecodeTable(value);
                if (!ExchangeTypes.TryParse((string)table["type"]!, out var type))
                {
                    throw new FormatException($"unknown exchange type {table["type"]}");
                }
                var name = (string)table["name"]!;
                _exchanges[name] = new Exchange(name, type, durable: true, (bool)table["auto-delete"]!, (bool)table["internal"]!,
                    (IReadOnlyDictionary<string, object?>)table["arguments"]!);
            });
        }
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(queuePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            TryLoad(key, () =>
            {
                var table = NeutralValue.DecodeTable(value);
                var name = (string)table["name"]!;
                var id = Guid.ParseExact((string)table["id"]!, "N");
                var arguments = (IReadOnlyDictionary<string, object?>)table["arguments"]!;
                var queue = OpenDurableQueue(name, id, (bool)table["auto-delete"]!, arguments, QueueSettings.Parse(arguments));
                var (messagesLog, acksLog) = Queue.LogNamesFor(id);
                referencedLogs.Add(messagesLog);
                referencedLogs.Add(acksLog);
                queue.Recover();
                _queues[name] = queue;
                queue.StartExpiryClock();
            });
        }
        foreach (var (key, value) in entries)
        {
            if (!key.StartsWith(bindingPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            TryLoad(key, () =>
            {
                var table = NeutralValue.DecodeTable(value);
                var destinationName = (string)table["destination"]!;
                IBindingDestination? destination = (string)table["kind"]! == "queue"
                    ? _queues.GetValueOrDefault(destinationName)
                    : _exchanges.GetValueOrDefault(destinationName);
                if (_exchanges.TryGetValue((string)table["source"]!, out var source) && destination is not null)
                {
                    source.AddBinding(new Binding(source, destination, (string)table["routing-key"]!,
                        (IReadOnlyDictionary<string, object?>)table["arguments"]!));
                }
            });
        }
        _logger.LogInformation("Virtual host {VirtualHost}: loaded {Exchanges} exchanges and {Queues} queues", Name,
            _exchanges.Count, _queues.Count);
    }

    private void TryLoad(string key, Action load)
    {
        try
        {
            load();
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or KeyNotFoundException or NullReferenceException or MessagingException)
        {
            _logger.LogError("Metadata entry {Key} is not a valid record and is skipped: {Message}", key.Replace(Separator, '/'), e.Message);
        }
    }
}
