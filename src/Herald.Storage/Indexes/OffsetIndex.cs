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
/// Thread-safety: one writer (the log's appender) and any number of lock-free readers (<see cref="SortedEntries{T}"/>).
/// </summary>
internal sealed class OffsetIndex
{
    public const int EntrySize = 8;

    private readonly SortedEntries<Entry> _entries;

    public OffsetIndex(int capacity = 16) => _entries = new SortedEntries<Entry>(capacity);

    public readonly record struct Entry(int RelativeOffset, int Position);

    public int Count => _entries.Count;

    public Entry Last => _entries[Count - 1];

    public void Append(int relativeOffset, int position)
    {
        var count = _entries.Count;
        if (count > 0 && (relativeOffset <= _entries[count - 1].RelativeOffset || position <= _entries[count - 1].Position))
        {
            return; // Entries must grow strictly; a batch at the same spot adds nothing.
        }
        _entries.Add(new Entry(relativeOffset, position));
    }

    /// <summary>Drops entries at or beyond <paramref name="position"/> (after the data was truncated there).</summary>
    public void TruncateToPosition(int position) =>
        _entries.Truncate(_entries.FindLast(position, static e => e.Position, inclusive: false) + 1);

    /// <summary>
    /// The position of the last indexed batch starting at or before <paramref name="relativeOffset"/>, or 0 when none
    /// is (the scan then starts at the beginning of the segment).
    /// </summary>
    public int FindPosition(int relativeOffset)
    {
        var found = _entries.FindLast(relativeOffset, static e => e.RelativeOffset, inclusive: true);
        return found < 0 ? 0 : _entries[found].Position;
    }

    public byte[] Serialize()
    {
        var count = _entries.Count;
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
            if (relativeOffset < 0 || position < 0 || position >= segmentSize ||
                (index.Count > 0 && (relativeOffset <= index.Last.RelativeOffset || position <= index.Last.Position)))
            {
                return null;
            }
            index.Append(relativeOffset, position);
        }
        return index;
    }
}
