using Herald.Storage.IO;

namespace Herald.Storage.Indexes;

/// <summary>Whole-file reads and crash-safe whole-file writes for index and checkpoint files.</summary>
internal static class IndexFile
{
    public static byte[]? TryReadAll(IStorageDevice device, string path)
    {
        if (!device.FileExists(path))
        {
            return null;
        }
        using var file = device.Open(path, FileOpenMode.OpenExisting);
        var length = file.Length;
        if (length > int.MaxValue)
        {
            return null;
        }
        var bytes = new byte[length];
        return file.Read(0, bytes) == bytes.Length ? bytes : null;
    }

    /// <summary>
    /// Writes <paramref name="contents"/> to a temporary file, fsyncs it and renames it over <paramref name="path"/>,
    /// so a crash leaves either the old or the new file, never a mix. The caller syncs the directory (once for
    /// several files).
    /// </summary>
    public static void WriteAtomically(IStorageDevice device, string path, ReadOnlySpan<byte> contents)
    {
        var temporary = path + ".tmp";
        using (var file = device.Open(temporary, FileOpenMode.OpenOrCreate))
        {
            file.SetLength(0);
            file.Write(0, contents);
            file.Flush();
        }
        device.Rename(temporary, path);
    }
}
