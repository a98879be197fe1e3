using System.Globalization;
using System.Text;

namespace Herald.Server.Storage;

/// <summary>
/// Exclusive ownership of a data directory, held as <c>&lt;data-dir&gt;/.lock</c> opened with
/// <see cref="FileShare.None"/>. On Linux .NET backs that with <c>flock(LOCK_EX | LOCK_NB)</c>, so a second opener
/// fails at once, in this process or another, and the kernel drops the lock when the holder exits, even on
/// <c>kill -9</c>; a stale file is therefore harmless and never deleted. The file holds the owner's process id for
/// operators. Disposing releases the lock.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Creates <paramref name="directory"/> if needed and locks it.</summary>
    /// <exception cref="HeraldStartupException">The directory is a file, cannot be created or written, or is locked.</exception>
    public static DataDirectoryLock Acquire(string directory)
    {
        if (File.Exists(directory))
        {
            throw Unavailable($"data directory {directory} is a file, not a directory");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"cannot create data directory {directory}: {e.Message}", e);
        }

        var path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Unavailable($"data directory {directory} is not writable: {e.Message}", e);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw Unavailable($"data directory {directory} is in use by another Herald process (it holds {path})", e);
        }
        catch (IOException e)
        {
            throw Unavailable($"cannot create lock file {path}: {e.Message}", e);
        }

        try
        {
            file.SetLength(0);
            file.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            file.Flush();
        }
        catch (IOException e)
        {
            file.Dispose();
            throw Unavailable($"data directory {directory} is not writable: {e.Message}", e);
        }

        return new DataDirectoryLock(file);
    }

    public void Dispose() => _file.Dispose();

    private static HeraldStartupException Unavailable(string message, Exception? inner = null) =>
        new(HeraldStartupError.DataDirectoryUnavailable, message, inner);
}
