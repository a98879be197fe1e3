namespace Herald.Storage.IO;

public static class StorageDeviceExtensions
{
    /// <summary>
    /// Creates <paramref name="path"/> and any missing parents so that they survive power loss: each new directory's
    /// entry is made durable by syncing its parent, top-down. A directory is only as durable as its parent's entry.
    /// </summary>
    public static void CreateDirectoryDurably(this IStorageDevice device, string path)
    {
        var full = Path.GetFullPath(path);
        if (device.DirectoryExists(full))
        {
            return;
        }
        var parent = Path.GetDirectoryName(full);
        if (parent is not null)
        {
            device.CreateDirectoryDurably(parent);
        }
        device.CreateDirectory(full);
        if (parent is not null)
        {
            device.SyncDirectory(parent);
        }
    }
}
