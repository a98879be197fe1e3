using Herald.Storage.IO;

namespace Herald.TestKit;

/// <summary>
/// An in-memory <see cref="IStorageDevice"/> that models what survives power loss: the LazyFS and ALICE crash
/// model, made deterministic (reliability.md §2.1 item 6; tests D2 and D5). One test owns it; it lives as long as
/// the simulated disk, across any number of simulated crashes. Thread-safe: one lock guards all state, so an
/// engine's writer, flusher and readers may call it at once. The real disk is never touched.
/// <para>
/// Files. Each file (an inode) has a <em>current</em> image, which reads see, and a <em>durable</em> image, its
/// bytes as of the last successful <see cref="IStorageFile.Flush"/> (fdatasync, so the length is included), plus
/// the ordered writes and SetLength calls made since.
/// </para>
/// <para>
/// Directories. Every namespace change is recorded, in order, against the one directory whose
/// <see cref="SyncDirectory"/> makes it durable: the parent of a created or deleted file or directory, and the
/// parent of a rename's <em>destination</em>. A rename is kept or undone as a whole (a journaling file system
/// commits it as one transaction); the model does not produce a file linked under both names.
/// </para>
/// <para>
/// Power loss (<see cref="Crash(Random)"/>). Each unsynced directory change is kept or dropped independently, and
/// the kept ones are applied in order on top of the durable namespace; a file or directory whose parent did not
/// survive is lost with it. Dropping changes independently is harsher than ext4, which commits them in order: the
/// engine must not rely on the order of unsynced directory changes. Each surviving file gets its durable image plus
/// a random prefix of its pending operations, and the last kept write may be torn (see <see cref="SectorSizeBytes"/>).
/// </para>
/// <para>
/// After any crash, every handle opened before it throws <see cref="IOException"/>, and the device serves new calls
/// on the post-crash state so that a fresh engine can recover. Stop the old engine first: device-level calls it
/// still makes (Open, DeleteFile...) would act on the new state.
/// </para>
/// <para>
/// Paths are normalized on '/' separators: "." and ".." are resolved, repeated or trailing separators are dropped,
/// and relative paths are taken from the virtual root "/". Listings are sorted ordinally, for determinism.
/// </para>
/// </summary>
public sealed partial class CrashableStorageDevice : IStorageDevice
{
    /// <summary>
    /// Disks write a 512-byte sector whole or not at all; a write torn by power loss keeps the sectors before the
    /// tear. The sector after the tear is then left as it was, zeroed, or filled with garbage (a drive that lost
    /// power mid-sector, or a file system that allocated the block but never wrote it).
    /// </summary>
    public const int SectorSizeBytes = 512;

    private const string Root = "/";

    private readonly Lock _gate = new();

    /// <summary>The namespace reads and listings see.</summary>
    private Namespace _current = new();

    /// <summary>The namespace after every change up to the first not yet synced one; see <see cref="FoldSyncedPrefix"/>.</summary>
    private Namespace _durable = new();

    /// <summary>Directory changes not yet folded into <see cref="_durable"/>, oldest first.</summary>
    private readonly List<DirectoryChange> _pendingChanges = [];

    /// <summary>Bumped by every crash; a handle from an older epoch is dead.</summary>
    private int _epoch;

    private long _nextInodeId;

    public IStorageFile Open(string path, FileOpenMode mode)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            if (_current.Directories.Contains(fullPath))
            {
                throw new UnauthorizedAccessException($"Access to the path '{fullPath}' is denied: it is a directory.");
            }
            if (_current.Files.TryGetValue(fullPath, out var inode))
            {
                if (mode == FileOpenMode.CreateNew)
                {
                    throw new IOException($"The file '{fullPath}' already exists.");
                }
            }
            else
            {
                if (mode == FileOpenMode.OpenExisting)
                {
                    throw new FileNotFoundException($"Could not find file '{fullPath}'.", fullPath);
                }
                RequireParentDirectory(fullPath);
                inode = new Inode(++_nextInodeId, fullPath);
                _current.Files.Add(fullPath, inode);
                _pendingChanges.Add(new FileCreated(fullPath, inode));
            }
            return new CrashableFile(this, inode, _epoch);
        }
    }

    public bool FileExists(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            return _current.Files.ContainsKey(fullPath);
        }
    }

    public bool DirectoryExists(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            return _current.Directories.Contains(fullPath);
        }
    }

    public void CreateDirectory(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            // Create missing ancestors top-down; each new directory is an entry of its parent.
            var missing = new Stack<string>();
            for (var directory = fullPath; !_current.Directories.Contains(directory); directory = ParentOf(directory)!)
            {
                if (_current.Files.ContainsKey(directory))
                {
                    throw new IOException($"Cannot create directory '{fullPath}': '{directory}' is a file.");
                }
                missing.Push(directory);
            }
            while (missing.TryPop(out var directory))
            {
                _current.Directories.Add(directory);
                _pendingChanges.Add(new DirectoryCreated(directory));
            }
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        var fullPath = NormalizePath(directory);
        lock (_gate)
        {
            RequireDirectory(fullPath);
            return ChildNames(_current.Files.Keys, fullPath);
        }
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        var fullPath = NormalizePath(directory);
        lock (_gate)
        {
            RequireDirectory(fullPath);
            return ChildNames(_current.Directories, fullPath);
        }
    }

    public void DeleteFile(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            if (_current.Directories.Contains(fullPath))
            {
                throw new UnauthorizedAccessException($"Access to the path '{fullPath}' is denied: it is a directory.");
            }
            if (!_current.Files.Remove(fullPath, out var inode))
            {
                // Like File.Delete: a missing file is fine, a missing directory is not.
                RequireParentDirectory(fullPath);
                return;
            }
            // Open handles keep the unlinked inode alive, as on POSIX.
            _pendingChanges.Add(new FileDeleted(fullPath, inode));
        }
    }

    public void DeleteDirectory(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            if (!_current.Directories.Contains(fullPath))
            {
                return;
            }
            if (fullPath == Root)
            {
                throw new IOException("The root directory cannot be deleted.");
            }
            _current.RemoveTree(fullPath);
            _pendingChanges.Add(new DirectoryDeleted(fullPath));
        }
    }

    public void Rename(string source, string destination)
    {
        var sourcePath = NormalizePath(source);
        var destinationPath = NormalizePath(destination);
        lock (_gate)
        {
            if (!_current.Files.TryGetValue(sourcePath, out var inode))
            {
                throw new FileNotFoundException($"Could not find file '{sourcePath}'.", sourcePath);
            }
            if (sourcePath == destinationPath)
            {
                return; // POSIX rename to the same link does nothing
            }
            if (_current.Directories.Contains(destinationPath))
            {
                throw new IOException($"Cannot rename '{sourcePath}' over the directory '{destinationPath}'.");
            }
            RequireParentDirectory(destinationPath);
            _current.Files.Remove(sourcePath);
            _current.Files[destinationPath] = inode;
            inode.Path = destinationPath;
            _pendingChanges.Add(new FileRenamed(sourcePath, destinationPath, inode));
        }
    }

    public void SyncDirectory(string path)
    {
        var fullPath = NormalizePath(path);
        lock (_gate)
        {
            RequireDirectory(fullPath);
            _syncDirectoryCount++;
            _syncDirectoryCounts[fullPath] = _syncDirectoryCounts.GetValueOrDefault(fullPath) + 1;
            foreach (var change in _pendingChanges)
            {
                if (change.Directory == fullPath)
                {
                    change.Synced = true;
                }
            }
            FoldSyncedPrefix();
        }
    }

    /// <summary>
    /// Moves the leading run of synced changes into <see cref="_durable"/>, so the pending list stays short while
    /// directories keep being synced. Changes after an unsynced one stay in the list even when synced: a crash
    /// applies all kept changes in their original order, and folding them early would reorder them.
    /// </summary>
    private void FoldSyncedPrefix()
    {
        var count = 0;
        while (count < _pendingChanges.Count && _pendingChanges[count].Synced)
        {
            _pendingChanges[count].ApplyTo(_durable);
            count++;
        }
        _pendingChanges.RemoveRange(0, count);
    }

    private void RequireDirectory(string fullPath)
    {
        if (!_current.Directories.Contains(fullPath))
        {
            throw new DirectoryNotFoundException($"Could not find a part of the path '{fullPath}'.");
        }
    }

    private void RequireParentDirectory(string fullPath) => RequireDirectory(ParentOf(fullPath)!);

    private static string[] ChildNames(IEnumerable<string> paths, string directory) =>
        paths.Where(p => p != Root && ParentOf(p) == directory)
            .Select(NameOf)
            .Order(StringComparer.Ordinal)
            .ToArray();
}
