namespace Herald.Storage.Indexes;

/// <summary>
/// The in-memory entries of a sparse index: an append-only array sorted by a key, with lock-free readers. One
/// writer appends and truncates; readers read <see cref="Count"/> first and the array second. The array is replaced
/// before the count is raised, so a reader that sees a count always sees an array holding that many entries.
/// </summary>
internal sealed class SortedEntries<T> where T : struct
{
    private T[] _items;
    private int _count;

    public SortedEntries(int capacity) => _items = new T[Math.Max(capacity, 4)];

    public int Count => Volatile.Read(ref _count);

    public T this[int index] => Volatile.Read(ref _items)[index];

    public void Add(T item)
    {
        var count = _count;
        if (count == _items.Length)
        {
            var larger = new T[count * 2];
            Array.Copy(_items, larger, count);
            Volatile.Write(ref _items, larger);
        }
        _items[count] = item;
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Keeps the first <paramref name="count"/> entries.</summary>
    public void Truncate(int count) => Volatile.Write(ref _count, Math.Min(count, _count));

    /// <summary>
    /// Index of the last entry whose key is below <paramref name="key"/> (or at most <paramref name="key"/> when
    /// <paramref name="inclusive"/>), or -1. Keys must increase with the index.
    /// </summary>
    public int FindLast<TKey>(TKey key, Func<T, TKey> keyOf, bool inclusive) where TKey : IComparable<TKey>
    {
        var count = Volatile.Read(ref _count);
        var items = Volatile.Read(ref _items);
        int low = 0, high = count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var comparison = keyOf(items[mid]).CompareTo(key);
            if (comparison < 0 || (inclusive && comparison == 0))
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }
}
