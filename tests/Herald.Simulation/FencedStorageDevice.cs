using Herald.Storage.IO;

namespace Herald.Simulation;

/// <summary>
/// One incarnation's view of the shared crash-simulating device. A crashed process does nothing more, but an
/// abandoned <c>PartitionLog</c> still has thread-pool work in flight (a group commit finishing, a segment whose last
/// lease is released and whose files are then deleted). Fencing the old view at the crash makes those late calls fail
/// with <see cref="IOException"/>, which the log already tolerates, instead of letting them edit the disk the next
/// incarnation recovers from. File handles need no fence: the device kills them itself at a crash. Every file's
/// fsync first passes the simulation's <see cref="FsyncGate"/>.
/// Thread-safe; one per opened log.
/// </summary>
internal sealed class FencedStorageDevice(IStorageDevice inner, FsyncGate gate) : IStorageDevice
{
    private volatile bool _fenced;

    public void Fence() => _fenced = true;

    public IStorageFile Open(string path, FileOpenMode mode) => new GatedFile(Live().Open(path, mode), gate);

    public bool FileExists(string path) => Live().FileExists(path);

    public bool DirectoryExists(string path) => Live().DirectoryExists(path);

    public void CreateDirectory(string path) => Live().CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => Live().ListFiles(directory);

    public IReadOnlyList<string> ListDirectories(string directory) => Live().ListDirectories(directory);

    public void DeleteFile(string path) => Live().DeleteFile(path);

    public void DeleteDirectory(string path) => Live().DeleteDirectory(path);

    public void Rename(string source, string destination) => Live().Rename(source, destination);

    public void SyncDirectory(string path) => Live().SyncDirectory(path);

    private IStorageDevice Live() => _fenced ? throw new IOException("This log incarnation crashed.") : inner;

    /// <summary>A file whose fsyncs wait at the gate; everything else goes straight to the device's file.</summary>
    private sealed class GatedFile(IStorageFile inner, FsyncGate gate) : IStorageFile
    {
        public long Length => inner.Length;

        public void Write(long position, ReadOnlySpan<byte> data) => inner.Write(position, data);

        public int Read(long position, Span<byte> destination) => inner.Read(position, destination);

        public void Flush()
        {
            gate.WaitUntilReleased();
            inner.Flush();
        }

        public void SetLength(long length) => inner.SetLength(length);

        public void Dispose() => inner.Dispose();
    }
}
