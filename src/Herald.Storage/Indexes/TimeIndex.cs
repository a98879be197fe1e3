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
/// Written and trusted under the same rules as <see cref="OffsetIndex"/>; same threading model
/// (<see cref="SortedEntries{T}"/>).
/// </summary>
internal sealed class TimeIndex
{
    public const int EntrySize = 12;

    private readonly SortedEntries<Entry> _entries;

    public TimeIndex(int capacity = 16) => _entries = new SortedEntries<Entry>(capacity);

    public readonly record struct Entry(long Timestamp, int RelativeOffset);

    public int Count => _entries.Count;

    public long LastTimestamp => Count == 0 ? -1 : _entries[Count - 1].Timestamp;

    public long FirstTimestamp => Count == 0 ? -1 : _entries[0].Timestamp;

    private Entry Last => _entries[Count - 1];

    public void Append(long timestamp, int relativeOffset)
    {
        if (Count > 0 && (timestamp <= Last.Timestamp || relativeOffset <= Last.RelativeOffset))
        {
            return;
        }
        _entries.Add(new Entry(timestamp, relativeOffset));
    }

    public void TruncateToRelativeOffset(int firstRemovedRelativeOffset) =>
        _entries.Truncate(_entries.FindLast(firstRemovedRelativeOffset, static e => e.RelativeOffset, inclusive: false) + 1);

    /// <summary>
    /// The relative offset of the last entry whose timestamp is below <paramref name="timestamp"/>, or -1 if none:
    /// the first record with a timestamp of at least <paramref name="timestamp"/> comes after it.
    /// </summary>
    public int FindRelativeOffsetBefore(long timestamp)
    {
        var found = _entries.FindLast(timestamp, static e => e.Timestamp, inclusive: false);
        return found < 0 ? -1 : _entries[found].RelativeOffset;
    }

    public byte[] Serialize()
    {
        var count = _entries.Count;
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
            if (relativeOffset < 0 || relativeOffset > maxRelativeOffset ||
                (index.Count > 0 && (timestamp <= index.Last.Timestamp || relativeOffset <= index.Last.RelativeOffset)))
            {
                return null;
            }
            index.Append(timestamp, relativeOffset);
        }
        return index;
    }
}
