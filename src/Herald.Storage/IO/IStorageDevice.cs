namespace Herald.Storage.IO;

/// <summary>
/// The one seam through which the storage engine touches files. <see cref="FileStorageDevice"/> is the real disk;
/// tests swap in a device that keeps files in memory and injects torn writes, fsync failures, a full disk and
/// power loss. Paths are absolute or relative to the process; the device never interprets them.
/// Implementations are thread-safe: a log's writer, its flusher and its readers call into one device at once.
/// </summary>
public interface IStorageDevice
{
    /// <summary>Opens a file for positional reads and writes.</summary>
    /// <exception cref="FileNotFoundException">When <paramref name="mode"/> is <see cref="FileOpenMode.OpenExisting"/> and the file is missing.</exception>
    IStorageFile Open(string path, FileOpenMode mode);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Creates the directory and any missing parents. Not durable until the parent is synced.</summary>
    void CreateDirectory(string path);

    /// <summary>Names (not paths) of the files directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Names (not paths) of the directories directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListDirectories(string directory);

    void DeleteFile(string path);

    /// <summary>Deletes a directory and everything in it.</summary>
    void DeleteDirectory(string path);

    /// <summary>Renames a file, atomically replacing <paramref name="destination"/> if it exists (POSIX rename).</summary>
    void Rename(string source, string destination);

    /// <summary>
    /// Makes the directory's entries durable (fsync of the directory): a file created, renamed or deleted in it
    /// survives power loss only after this.
    /// </summary>
    void SyncDirectory(string path);
}

public enum FileOpenMode
{
    /// <summary>Create the file; fail if it exists.</summary>
    CreateNew,

    /// <summary>Open the file, creating it empty if missing.</summary>
    OpenOrCreate,

    /// <summary>Open the file; fail if it is missing.</summary>
    OpenExisting,
}

/// <summary>
/// An open file with positional I/O. Reads may run concurrently with each other and with one writer. Disposing
/// closes the file; it does not flush to disk.
/// </summary>
public interface IStorageFile : IDisposable
{
    long Length { get; }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="position"/>.</summary>
    /// <exception cref="DiskFullException">When the device has no space; part of the data may have been written.</exception>
    void Write(long position, ReadOnlySpan<byte> data);

    /// <summary>Reads up to <c>destination.Length</c> bytes; returns fewer only at the end of the file.</summary>
    int Read(long position, Span<byte> destination);

    /// <summary>Makes every completed write durable (fsync). Throws <see cref="IOException"/> on failure.</summary>
    void Flush();

    /// <summary>Truncates or extends the file.</summary>
    void SetLength(long length);
}

/// <summary>The device ran out of space (ENOSPC). The storage engine rolls back the partial write and stays up.</summary>
public sealed class DiskFullException : IOException
{
    public DiskFullException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
