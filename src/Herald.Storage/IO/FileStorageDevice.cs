using Microsoft.Win32.SafeHandles;

namespace Herald.Storage.IO;

/// <summary>
/// The real disk: <see cref="RandomAccess"/> positional reads and writes on <see cref="SafeFileHandle"/>s (thread-safe
/// pread/pwrite), fdatasync for file flushes and a libc fsync for directories. Stateless; one instance serves the
/// whole process.
/// </summary>
public sealed class FileStorageDevice : IStorageDevice
{
    public static readonly FileStorageDevice Instance = new();

    public IStorageFile Open(string path, FileOpenMode mode)
    {
        var fileMode = mode switch
        {
            FileOpenMode.CreateNew => FileMode.CreateNew,
            FileOpenMode.OpenOrCreate => FileMode.OpenOrCreate,
            _ => FileMode.Open,
        };
        // FileShare.ReadWrite: the log opens a segment once for writing, readers share the handle; no OS lock.
        var handle = File.OpenHandle(path, fileMode, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return new DiskFile(handle, path);
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) =>
        Directory.GetFiles(directory).Select(Path.GetFileName).ToArray()!;

    public IReadOnlyList<string> ListDirectories(string directory) =>
        Directory.GetDirectories(directory).Select(Path.GetFileName).ToArray()!;

    public void DeleteFile(string path) => File.Delete(path);

    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public void Rename(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void SyncDirectory(string path) => NativeMethods.SyncDirectory(path);

    private sealed class DiskFile(SafeFileHandle handle, string path) : IStorageFile
    {
        public long Length => RandomAccess.GetLength(handle);

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            try
            {
                RandomAccess.Write(handle, data, position);
            }
            catch (IOException e) when (IsNoSpace(e))
            {
                throw new DiskFullException($"write to {path}: no space left on device", e);
            }
        }

        public int Read(long position, Span<byte> destination)
        {
            var total = 0;
            while (total < destination.Length)
            {
                var n = RandomAccess.Read(handle, destination[total..], position + total);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
            return total;
        }

        public void Flush() => NativeMethods.SyncData(handle, path);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();

        private static bool IsNoSpace(IOException e) =>
            (e.HResult & 0xFFFF) == NativeMethods.ErrnoNoSpace || e.Message.Contains("No space left", StringComparison.Ordinal);
    }
}
