using System.Buffers.Binary;
using Herald.Storage.IO;

namespace Herald.Storage.Indexes;

/// <summary>
/// The sparse time index of one segment: each entry says "up to this relative offset, the largest timestamp seen is
/// this". Entries are added alongside offset-index entries, and only when the largest timestamp grew, so timestamps
/// and offsets both increase (Kafka <c>TimeIndex</c>). A lookup for time T starts scanning after the last entry whose
/// timestamp is below T: no record at or before that entry's offset can have a timestamp of T or more.
///
/// File format (<c>NNNNNNNNNNNNNNNNNNNN.timeindex</c>), entries back to back, little-endian:
/// <code>timestamp int64 | relativeOffset int32</code>
/// Written and trusted under the same rules as <see cref="OffsetIndex"/>; same threading model.
/// </summary>
internal sealed class TimeIndex
{
    public const int EntrySize = 12;

    private Entry[] _entries;
    private int _count;

    public TimeIndex(int capacity = 16) => _entries = new Entry[Math.Max(capacity, 4)];

    public readonly record struct Entry(long Timestamp, int RelativeOffset);

    public int Count => Volatile.Read(ref _count);

    public long LastTimestamp => Count == 0 ? -1 : _entries[Count - 1].Timestamp;

    public long FirstTimestamp => Count == 0 ? -1 : _entries[0].Timestamp;

    public void Append(long timestamp, int relativeOffset)
    {
        var count = _count;
        if (count > 0 && (timestamp <= _entries[count - 1].Timestamp || relativeOffset <= _entries[count - 1].RelativeOffset))
        {
            return;
        }
        if (count == _entries.Length)
        {
            var larger = new Entry[count * 2];
            Array.Copy(_entries, larger, count);
            Volatile.Write(ref _entries, larger);
        }
        _entries[count] = new Entry(timestamp, relativeOffset);
        Volatile.Write(ref _count, count + 1);
    }

    public void TruncateToRelativeOffset(int firstRemovedRelativeOffset)
    {
        var count = _count;
        while (count > 0 && _entries[count - 1].RelativeOffset >= firstRemovedRelativeOffset)
        {
            count--;
        }
        Volatile.Write(ref _count, count);
    }

    /// <summary>
    /// The relative offset of the last entry whose timestamp is below <paramref name="timestamp"/>, or -1 if none:
    /// the first record with a timestamp of at least <paramref name="timestamp"/> comes after it.
    /// </summary>
    public int FindRelativeOffsetBefore(long timestamp)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int low = 0, high = count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (entries[mid].Timestamp < timestamp)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found < 0 ? -1 : entries[found].RelativeOffset;
    }

    public byte[] Serialize()
    {
        var count = _count;
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * EntrySize), _entries[i].Timestamp);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((i * EntrySize) + 8), _entries[i].RelativeOffset);
        }
        return bytes;
    }

    /// <summary>Loads a time index file, or null when missing or not strictly increasing.</summary>
    public static TimeIndex? TryLoad(IStorageDevice device, string path, int maxRelativeOffset)
    {
        var bytes = IndexFile.TryReadAll(device, path);
        if (bytes is null || bytes.Length % EntrySize != 0)
        {
            return null;
        }
        var index = new TimeIndex(bytes.Length / EntrySize);
        for (var p = 0; p < bytes.Length; p += EntrySize)
        {
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(p));
            var relativeOffset = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p + 8));
            var count = index._count;
            if (relativeOffset < 0 || relativeOffset > maxRelativeOffset ||
                (count > 0 && (timestamp <= index._entries[count - 1].Timestamp ||
                               relativeOffset <= index._entries[count - 1].RelativeOffset)))
            {
                return null;
            }
            index.Append(timestamp, relativeOffset);
        }
        return index;
    }
}
