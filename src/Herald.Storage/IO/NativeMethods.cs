using System.Runtime.InteropServices;

namespace Herald.Storage.IO;

/// <summary>
/// libc calls .NET does not offer: fsync of a directory (<c>File.OpenHandle</c> refuses directories) and
/// fdatasync of a file handle. See reliability.md rule H3 and KAFKA-3968 for why directory fsync matters.
/// </summary>
internal static partial class NativeMethods
{
    private const int ORdOnly = 0x0000;
    private const int ODirectory = 0x10000; // Linux x86_64 and arm64
    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(nint fd);

    public const int ErrnoNoSpace = 28;

    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Other systems are for development only; directory durability is a Linux guarantee here.
        }
        var fd = Open(path, ORdOnly | ODirectory | OCloexec);
        if (fd < 0)
        {
            throw new IOException($"open({path}) for directory sync failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>fdatasync: flushes data and the metadata needed to read it (the size), not timestamps.</summary>
    public static void SyncData(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Fdatasync(handle.DangerousGetHandle()) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw errno == ErrnoNoSpace
                    ? new DiskFullException($"fdatasync of {path}: no space left on device")
                    : new IOException($"fdatasync of {path} failed: errno {errno}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
