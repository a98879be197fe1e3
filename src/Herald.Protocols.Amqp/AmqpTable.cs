using System.Collections;

namespace Herald.Protocols.Amqp;

/// <summary>
/// An AMQP field table: named values in wire order (order is kept so a table re-encodes to the same bytes). Values
/// are CLR objects by field type, as <see cref="AmqpFieldTable"/> lists them. Not thread-safe while being built;
/// <see cref="Empty"/> is shared and read-only.
/// </summary>
public sealed class AmqpTable : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _entries;
    private readonly bool _readOnly;

    public AmqpTable()
    {
        _entries = [];
    }

    private AmqpTable(bool readOnly)
    {
        _entries = [];
        _readOnly = readOnly;
    }

    /// <summary>The shared empty table (the spec's default for every table argument).</summary>
    public static AmqpTable Empty { get; } = new(readOnly: true);

    public int Count => _entries.Count;

    public KeyValuePair<string, object?> this[int index] => _entries[index];

    /// <summary>The first value named <paramref name="key"/>, or null when absent.</summary>
    public object? this[string key] => TryGetValue(key, out var value) ? value : null;

    /// <summary>Appends an entry; a name may repeat on the wire, and lookups find the first.</summary>
    public AmqpTable Add(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_readOnly)
        {
            throw new InvalidOperationException("AmqpTable.Empty is shared and cannot be changed.");
        }
        _entries.Add(new(key, value));
        return this;
    }

    public bool TryGetValue(string key, out object? value)
    {
        foreach (var entry in _entries)
        {
            if (entry.Key == key)
            {
                value = entry.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    public List<KeyValuePair<string, object?>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();
}

/// <summary>A decimal field value ('D'): <c>Value</c> / 10^<c>Scale</c>.</summary>
public readonly record struct AmqpDecimal(byte Scale, uint Value);

/// <summary>A timestamp field value ('T'): seconds since the Unix epoch, 64 bits.</summary>
public readonly record struct AmqpTimestamp(ulong UnixSeconds);

/// <summary>A byte-array field value ('x', RabbitMQ's extension), distinct from a long string ('S').</summary>
public sealed record AmqpBinary(byte[] Bytes);
