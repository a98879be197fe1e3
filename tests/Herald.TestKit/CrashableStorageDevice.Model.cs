namespace Herald.TestKit;

// The data model behind CrashableStorageDevice: inodes with their pending operations, namespaces, the directory
// changes that move a namespace forward, and path helpers. Every instance is guarded by the device's lock.
public sealed partial class CrashableStorageDevice
{
    /// <summary>
    /// Resolves "." and ".." and repeated separators; a relative path is taken from the virtual root. Never looks
    /// at the real disk.
    /// </summary>
    internal static string NormalizePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var segments = new List<string>();
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1); // ".." at the root stays at the root, as in POSIX
                }
                continue;
            }
            segments.Add(segment);
        }
        return Root + string.Join('/', segments);
    }

    /// <summary>The parent of a normalized path; null for the root.</summary>
    private static string? ParentOf(string fullPath)
    {
        if (fullPath == Root)
        {
            return null;
        }
        var slash = fullPath.LastIndexOf('/');
        return slash == 0 ? Root : fullPath[..slash];
    }

    private static string NameOf(string fullPath) => fullPath[(fullPath.LastIndexOf('/') + 1)..];

    private static bool IsInside(string fullPath, string directory) =>
        directory == Root || fullPath.StartsWith(directory + "/", StringComparison.Ordinal);

    /// <summary>One file's data, shared by every name and handle that refers to it.</summary>
    private sealed class Inode(long id, string path)
    {
        /// <summary>Creation order; crashes visit files in this order so that a seed always means the same thing.</summary>
        public long Id { get; } = id;

        /// <summary>The name it was last created or renamed under; what fault predicates and counters match on.</summary>
        public string Path { get; set; } = path;

        public FileImage Current { get; } = new();

        public FileImage Durable { get; } = new();

        /// <summary>Writes and SetLength calls since the last successful flush, oldest first.</summary>
        public List<PendingOperation> Pending { get; } = [];

        public int FlushCount { get; set; }
    }

    /// <summary>An unflushed write (<see cref="Data"/> set) or SetLength (<see cref="Data"/> null, length in <see cref="Position"/>).</summary>
    private readonly record struct PendingOperation(long Position, byte[]? Data)
    {
        public static PendingOperation Write(long position, ReadOnlySpan<byte> data) => new(position, data.ToArray());

        public static PendingOperation SetLength(long length) => new(length, null);

        public void ApplyTo(FileImage image)
        {
            if (Data is null)
            {
                image.SetLength(Position);
            }
            else
            {
                image.Write(Position, Data);
            }
        }
    }

    /// <summary>Which names exist: files (name to inode) and directories. The root always exists.</summary>
    private sealed class Namespace
    {
        public Dictionary<string, Inode> Files { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Directories { get; } = new(StringComparer.Ordinal) { Root };

        public Namespace Clone()
        {
            var copy = new Namespace();
            foreach (var (path, inode) in Files)
            {
                copy.Files.Add(path, inode);
            }
            copy.Directories.UnionWith(Directories);
            return copy;
        }

        public void RemoveTree(string directory)
        {
            Directories.RemoveWhere(d => d == directory || IsInside(d, directory));
            foreach (var path in Files.Keys.Where(p => IsInside(p, directory)).ToArray())
            {
                Files.Remove(path);
            }
        }

        /// <summary>
        /// After a crash: an entry whose parent directory did not survive is unreachable, so it is lost. A file that
        /// collides with a surviving directory (possible only when the changes in between were dropped) is lost too.
        /// </summary>
        public void PruneOrphans()
        {
            foreach (var directory in Directories.OrderBy(d => d.Count(c => c == '/')).ThenBy(d => d, StringComparer.Ordinal).ToArray())
            {
                if (directory != Root && !Directories.Contains(ParentOf(directory)!))
                {
                    Directories.Remove(directory);
                }
            }
            foreach (var path in Files.Keys.ToArray())
            {
                if (!Directories.Contains(ParentOf(path)!) || Directories.Contains(path))
                {
                    Files.Remove(path);
                }
            }
        }
    }

    /// <summary>
    /// One namespace change, recorded against the directory whose sync makes it durable. Applying it is tolerant of
    /// a namespace where earlier changes were dropped, because a crash may keep any subset of unsynced changes.
    /// </summary>
    private abstract class DirectoryChange(string directory)
    {
        public string Directory { get; } = directory;

        public bool Synced { get; set; }

        public abstract void ApplyTo(Namespace target);
    }

    private sealed class FileCreated(string path, Inode inode) : DirectoryChange(ParentOf(path)!)
    {
        public override void ApplyTo(Namespace target) => target.Files[path] = inode;
    }

    private sealed class FileDeleted(string path, Inode inode) : DirectoryChange(ParentOf(path)!)
    {
        // Only unlink the same inode: if the create of a later file at this path was kept, this delete is not its.
        public override void ApplyTo(Namespace target)
        {
            if (target.Files.TryGetValue(path, out var linked) && linked == inode)
            {
                target.Files.Remove(path);
            }
        }
    }

    /// <summary>Durable with the destination's directory, and atomic: the source link goes away with it.</summary>
    private sealed class FileRenamed(string source, string destination, Inode inode) : DirectoryChange(ParentOf(destination)!)
    {
        public override void ApplyTo(Namespace target)
        {
            target.Files[destination] = inode;
            if (target.Files.TryGetValue(source, out var linked) && linked == inode)
            {
                target.Files.Remove(source);
            }
        }
    }

    private sealed class DirectoryCreated(string path) : DirectoryChange(ParentOf(path)!)
    {
        public override void ApplyTo(Namespace target) => target.Directories.Add(path);
    }

    private sealed class DirectoryDeleted(string path) : DirectoryChange(ParentOf(path)!)
    {
        public override void ApplyTo(Namespace target) => target.RemoveTree(path);
    }
}
