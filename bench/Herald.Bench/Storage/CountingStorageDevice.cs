using System.Diagnostics;
using Herald.Storage.IO;

namespace Herald.Bench.Storage;

/// <summary>
/// Wraps the real <see cref="FileStorageDevice"/> and counts and times every write, read and flush (fsync) the
/// storage engine makes. This is how the benchmark sees how many appends one group commit covered and how much
/// of an append is the pwrite itself. The cost is two timestamps and an interlocked add per call, well under
/// a microsecond against calls of tens of microseconds or more.
/// It also keeps a histogram of how many pwrites each fsync followed (<see cref="IoCounters.WritesPerFlush"/>):
/// under group commit that is how many appends one fsync made durable.
/// </summary>
internal sealed class CountingStorageDevice(IStorageDevice inner) : IStorageDevice
{
    private long _writes;
    private long _writeBytes;
    private long _writeTicks;
    private long _reads;
    private long _readBytes;
    private long _readTicks;
    private long _flushes;
    private long _flushTicks;
    private long _writesSinceFlush;
    private readonly long[] _writesPerFlush = new long[IoCounters.HistogramBuckets];

    public IoCounters Snapshot() => new(
        Interlocked.Read(ref _writes), Interlocked.Read(ref _writeBytes), Interlocked.Read(ref _writeTicks),
        Interlocked.Read(ref _reads), Interlocked.Read(ref _readBytes), Interlocked.Read(ref _readTicks),
        Interlocked.Read(ref _flushes), Interlocked.Read(ref _flushTicks),
        (long[])_writesPerFlush.Clone());

    public IStorageFile Open(string path, FileOpenMode mode) => new CountingFile(inner.Open(path, mode), this);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public IReadOnlyList<string> ListDirectories(string directory) => inner.ListDirectories(directory);

    public void DeleteFile(string path) => inner.DeleteFile(path);

    public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

    public void Rename(string source, string destination) => inner.Rename(source, destination);

    public void SyncDirectory(string path) => inner.SyncDirectory(path);

    /// <summary>A file whose calls add to its device's counters.</summary>
    private sealed class CountingFile(IStorageFile file, CountingStorageDevice owner) : IStorageFile
    {
        public long Length => file.Length;

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                file.Write(position, data);
            }
            finally
            {
                Interlocked.Add(ref owner._writeTicks, Stopwatch.GetTimestamp() - start);
                Interlocked.Increment(ref owner._writes);
                Interlocked.Increment(ref owner._writesSinceFlush);
                Interlocked.Add(ref owner._writeBytes, data.Length);
            }
        }

        public int Read(long position, Span<byte> destination)
        {
            var start = Stopwatch.GetTimestamp();
            var read = file.Read(position, destination);
            Interlocked.Add(ref owner._readTicks, Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref owner._reads);
            Interlocked.Add(ref owner._readBytes, read);
            return read;
        }

        public void Flush()
        {
            var group = Interlocked.Exchange(ref owner._writesSinceFlush, 0);
            Interlocked.Increment(ref owner._writesPerFlush[Math.Min(group, IoCounters.HistogramBuckets - 1)]);
            var start = Stopwatch.GetTimestamp();
            try
            {
                file.Flush();
            }
            finally
            {
                Interlocked.Add(ref owner._flushTicks, Stopwatch.GetTimestamp() - start);
                Interlocked.Increment(ref owner._flushes);
            }
        }

        public void SetLength(long length) => file.SetLength(length);

        public void Dispose() => file.Dispose();
    }
}

/// <summary>
/// Totals of a <see cref="CountingStorageDevice"/>; subtract two snapshots for one interval.
/// <see cref="WritesPerFlush"/>[n] counts the fsyncs that followed n pwrites (the last bucket: that many or more).
/// </summary>
internal readonly record struct IoCounters(long Writes, long WriteBytes, long WriteTicks, long Reads, long ReadBytes,
    long ReadTicks, long Flushes, long FlushTicks, long[] WritesPerFlush)
{
    public const int HistogramBuckets = 17;

    public double WriteSeconds => (double)WriteTicks / Stopwatch.Frequency;

    public double ReadSeconds => (double)ReadTicks / Stopwatch.Frequency;

    public double FlushSeconds => (double)FlushTicks / Stopwatch.Frequency;

    public static IoCounters operator -(IoCounters a, IoCounters b) => new(a.Writes - b.Writes,
        a.WriteBytes - b.WriteBytes, a.WriteTicks - b.WriteTicks, a.Reads - b.Reads, a.ReadBytes - b.ReadBytes,
        a.ReadTicks - b.ReadTicks, a.Flushes - b.Flushes, a.FlushTicks - b.FlushTicks,
        a.WritesPerFlush.Zip(b.WritesPerFlush, (x, y) => x - y).ToArray());
}
