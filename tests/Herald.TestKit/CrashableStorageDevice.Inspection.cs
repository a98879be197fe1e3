namespace Herald.TestKit;

// What tests look at and poke: counters, the current and durable bytes of a file, and offline corruption tools
// (the bit flip, truncate and append modes of Jepsen's file nemesis).
public sealed partial class CrashableStorageDevice
{
    private readonly Dictionary<string, int> _syncDirectoryCounts = new(StringComparer.Ordinal);
    private long _flushCount;
    private long _syncDirectoryCount;
    private long _writeCount;

    /// <summary>Flush calls on all files, failed ones included.</summary>
    public long FlushCount
    {
        get
        {
            lock (_gate)
            {
                return _flushCount;
            }
        }
    }

    /// <summary>SyncDirectory calls on all directories.</summary>
    public long SyncDirectoryCount
    {
        get
        {
            lock (_gate)
            {
                return _syncDirectoryCount;
            }
        }
    }

    /// <summary>Write calls on all files, failed ones included.</summary>
    public long WriteCount
    {
        get
        {
            lock (_gate)
            {
                return _writeCount;
            }
        }
    }

    /// <summary>Flush calls on the file now at <paramref name="path"/>, counted across renames and crashes; failed ones included.</summary>
    public int GetFlushCount(string path)
    {
        lock (_gate)
        {
            return FileAt(path).FlushCount;
        }
    }

    /// <summary>SyncDirectory calls on <paramref name="path"/>; 0 if never synced.</summary>
    public int GetSyncDirectoryCount(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            return _syncDirectoryCounts.GetValueOrDefault(fullPath);
        }
    }

    /// <summary>What a read of the whole file returns now.</summary>
    public byte[] GetFileBytes(string path)
    {
        lock (_gate)
        {
            return FileAt(path).Current.ToArray();
        }
    }

    /// <summary>
    /// The file's bytes as of its last successful flush. Whether its name survives a crash is a separate question,
    /// answered by the directory syncs.
    /// </summary>
    public byte[] GetDurableBytes(string path)
    {
        lock (_gate)
        {
            return FileAt(path).Durable.ToArray();
        }
    }

    /// <summary>
    /// Flips one bit of the byte at <paramref name="position"/> in both the current and the durable image (in each
    /// that is long enough). Like the other corruption tools, this edits the disk offline: unflushed operations are
    /// not edited, so a later crash that keeps them writes them over the change. Flush or crash first to avoid that.
    /// </summary>
    public void CorruptByte(string path, long position, int bit = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bit, 7);
        lock (_gate)
        {
            var inode = FileAt(path);
            if (position >= inode.Current.Length && position >= inode.Durable.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(position), position, $"past the end of {inode.Path}");
            }
            foreach (var image in (ReadOnlySpan<FileImage>)[inode.Current, inode.Durable])
            {
                if (position < image.Length)
                {
                    image.FlipBit(position, bit);
                }
            }
        }
    }

    /// <summary>Cuts both images to at most <paramref name="length"/> bytes (offline; see <see cref="CorruptByte"/>).</summary>
    public void Truncate(string path, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            var inode = FileAt(path);
            foreach (var image in (ReadOnlySpan<FileImage>)[inode.Current, inode.Durable])
            {
                if (image.Length > length)
                {
                    image.SetLength(length);
                }
            }
        }
    }

    /// <summary>Appends <paramref name="garbage"/> to the end of both images (offline; see <see cref="CorruptByte"/>). Ignores the capacity.</summary>
    public void AppendGarbage(string path, ReadOnlySpan<byte> garbage)
    {
        lock (_gate)
        {
            var inode = FileAt(path);
            inode.Current.Write(inode.Current.Length, garbage);
            inode.Durable.Write(inode.Durable.Length, garbage);
        }
    }

    private Inode FileAt(string path)
    {
        var fullPath = NormalizePath(path);
        return _current.Files.TryGetValue(fullPath, out var inode)
            ? inode
            : throw new FileNotFoundException($"Could not find file '{fullPath}'.", fullPath);
    }
}
