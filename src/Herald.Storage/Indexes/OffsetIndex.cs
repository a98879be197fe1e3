using System.Buffers.Binary;
using Herald.Storage.IO;

namespace Herald.Storage.Indexes;

/// <summary>
/// The sparse offset index of one segment: maps an offset (relative to the segment's base offset) to the file
/// position of the batch that contains it. An entry is added every <c>IndexIntervalBytes</c> of appended batches,
/// so a lookup lands at most that many bytes before the wanted batch and the rest is a short scan (Kafka
/// <c>OffsetIndex</c>).
///
/// File format (<c>NNNNNNNNNNNNNNNNNNNN.index</c>), entries back to back, little-endian:
/// <code>relativeOffset int32 | position int32</code>
/// The file is written whole when the segment is sealed or the log closes cleanly; after an unclean shutdown the
/// active segment's index is rebuilt from the data instead of trusted.
///
/// Thread-safety: one writer (the log's appender) and any number of lock-free readers. The entry array is replaced
/// before the count is raised, so a reader that sees a count always sees an array holding that many entries.
/// </summary>
internal sealed class OffsetIndex
{
    public const int EntrySize = 8;

    private Entry[] _entries;
    private int _count;

    public OffsetIndex(int capacity = 16) => _entries = new Entry[Math.Max(capacity, 4)];

    public readonly record struct Entry(int RelativeOffset, int Position);

    public int Count => Volatile.Read(ref _count);

    public Entry Last => _entries[Count - 1];

    public void Append(int relativeOffset, int position)
    {
        var count = _count;
        if (count > 0 && (relativeOffset <= _entries[count - 1].RelativeOffset || position <= _entries[count - 1].Position))
        {
            return; // Entries must grow strictly; a batch at the same spot adds nothing.
        }
        if (count == _entries.Length)
        {
            var larger = new Entry[count * 2];
            Array.Copy(_entries, larger, count);
            Volatile.Write(ref _entries, larger);
        }
        _entries[count] = new Entry(relativeOffset, position);
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Drops entries at or beyond <paramref name="position"/> (after the data was truncated there).</summary>
    public void TruncateToPosition(int position)
    {
        var count = _count;
        while (count > 0 && _entries[count - 1].Position >= position)
        {
            count--;
        }
        Volatile.Write(ref _count, count);
    }

    /// <summary>
    /// The position of the last indexed batch starting at or before <paramref name="relativeOffset"/>, or 0 when none
    /// is (the scan then starts at the beginning of the segment).
    /// </summary>
    public int FindPosition(int relativeOffset)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int low = 0, high = count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (entries[mid].RelativeOffset <= relativeOffset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found < 0 ? 0 : entries[found].Position;
    }

    public byte[] Serialize()
    {
        var count = _count;
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * EntrySize), _entries[i].RelativeOffset);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((i * EntrySize) + 4), _entries[i].Position);
        }
        return bytes;
    }

    /// <summary>
    /// Loads an index file, or returns null when it is missing or fails the sanity checks (size a multiple of the
    /// entry size, entries strictly increasing, positions inside the segment). A null index is rebuilt from data.
    /// </summary>
    public static OffsetIndex? TryLoad(IStorageDevice device, string path, long segmentSize)
    {
        var bytes = IndexFile.TryReadAll(device, path);
        if (bytes is null || bytes.Length % EntrySize != 0)
        {
            return null;
        }
        var index = new OffsetIndex(bytes.Length / EntrySize);
        for (var p = 0; p < bytes.Length; p += EntrySize)
        {
            var relativeOffset = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p));
            var position = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p + 4));
            var count = index._count;
            if (relativeOffset < 0 || position < 0 || position >= segmentSize ||
                (count > 0 && (relativeOffset <= index._entries[count - 1].RelativeOffset ||
                               position <= index._entries[count - 1].Position)))
            {
                return null;
            }
            index.Append(relativeOffset, position);
        }
        return index;
    }
}
