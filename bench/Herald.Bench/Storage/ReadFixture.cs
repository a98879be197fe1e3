using System.Diagnostics;
using Herald.Bench.Common;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage;
using Herald.Storage.IO;
using Herald.Storage.Log;

namespace Herald.Bench.Storage;

/// <summary>
/// A log of about <see cref="StorageSettings.ReadBytes"/> written once and then read back several ways, all from
/// the page cache: through the log (Read + CopyTo, which verifies every batch's CRC-32C), as plain files
/// (the same bytes without the log), and from memory (memcpy alone, CRC-32C alone), so the log's read rate can
/// be taken apart into copying, checksumming and the rest.
/// </summary>
internal sealed class ReadFixture : IAsyncDisposable
{
    private readonly string _directory;
    private readonly StorageEngine _engine;
    private readonly PartitionLog _log;
    private readonly CountingStorageDevice _device;
    private readonly byte[] _buffer = new byte[StorageSettings.ReadChunkBytes];
    private byte[] _image = [];

    private ReadFixture(string directory, StorageEngine engine, PartitionLog log, CountingStorageDevice device)
    {
        _directory = directory;
        _engine = engine;
        _log = log;
        _device = device;
    }

    public long LogBytes { get; private set; }

    public int SegmentCount => _log.SegmentCount;

    public static async Task<ReadFixture> CreateAsync(string parent, StorageSettings settings, BatchSet batches)
    {
        var directory = Path.Combine(parent, "read");
        var device = new CountingStorageDevice(FileStorageDevice.Instance);
        var engine = StorageEngine.Open(new StorageEngineOptions
        {
            DataDirectory = directory,
            Device = device,
            DefaultLogOptions = LogOptions.Default with
            {
                Fsync = FsyncPolicy.Os,
                RetentionTime = null,
                // Several segments, so reads cross segment boundaries as a consumer's do.
                SegmentSizeBytes = settings.ReadBytes / 4,
            },
            MaintenanceInterval = TimeSpan.FromDays(1),
        });
        var fixture = new ReadFixture(directory, engine, engine.OpenLog("bench-read"), device);
        var pool = batches.CopyForWriter();
        long written = 0;
        for (var i = 0; written < settings.ReadBytes; i++)
        {
            fixture._log.Append(pool[i % pool.Length]);
            written += pool[i % pool.Length].Length;
        }
        await fixture._log.FlushAsync();
        fixture.LoadImage();
        return fixture;
    }

    /// <summary>The log as a consumer reads it: Read(offset, 1 MiB), CopyTo a reused buffer, continue after the last whole batch.</summary>
    public ReadRunResult LogRead(int round)
    {
        var io = _device.Snapshot();
        var clock = CpuStopwatch.StartNew();
        var offset = _log.LogStartOffset;
        var end = _log.HighWatermark;
        long bytes = 0, calls = 0, lookupTicks = 0, copyTicks = 0;
        while (offset < end)
        {
            var start = Stopwatch.GetTimestamp();
            using var slice = _log.Read(offset, StorageSettings.ReadChunkBytes);
            var found = Stopwatch.GetTimestamp();
            var whole = slice.CopyTo(_buffer);
            copyTicks += Stopwatch.GetTimestamp() - found;
            lookupTicks += found - start;
            if (whole == 0)
            {
                throw new InvalidOperationException($"Read at {offset} returned no whole batch.");
            }
            offset = new Offset(LastOffset(_buffer.AsSpan(0, whole)) + 1);
            bytes += whole;
            calls++;
        }
        var sample = clock.Sample();
        var used = _device.Snapshot() - io;
        return new ReadRunResult(ReadCases.Log, round, bytes, sample.WallSeconds, sample.UserSeconds,
            sample.SystemSeconds, calls, lookupTicks / (double)Stopwatch.Frequency,
            copyTicks / (double)Stopwatch.Frequency, used.Reads, used.ReadBytes);
    }

    /// <summary>The segment files read front to back in 1 MiB preads into the same reused buffer.</summary>
    public ReadRunResult FileRead(int round)
    {
        var clock = CpuStopwatch.StartNew();
        long bytes = 0, calls = 0;
        foreach (var path in SegmentFiles())
        {
            using var handle = File.OpenHandle(path);
            long position = 0;
            int n;
            while ((n = RandomAccess.Read(handle, _buffer, position)) > 0)
            {
                position += n;
                calls++;
            }
            bytes += position;
        }
        var sample = clock.Sample();
        return new ReadRunResult(ReadCases.File, round, bytes, sample.WallSeconds, sample.UserSeconds,
            sample.SystemSeconds, calls, 0, sample.WallSeconds, calls, bytes);
    }

    /// <summary>Copies the log's bytes from one large array into the 1 MiB buffer: the memory-bandwidth ceiling of any read.</summary>
    public ReadRunResult Memcpy(int round)
    {
        var clock = CpuStopwatch.StartNew();
        long calls = 0;
        for (var p = 0; p < _image.Length; p += _buffer.Length)
        {
            _image.AsSpan(p, Math.Min(_buffer.Length, _image.Length - p)).CopyTo(_buffer);
            calls++;
        }
        var sample = clock.Sample();
        return new ReadRunResult(ReadCases.Memcpy, round, _image.Length, sample.WallSeconds, sample.UserSeconds,
            sample.SystemSeconds, calls, 0, sample.WallSeconds, 0, 0);
    }

    /// <summary>CRC-32C of every batch, in memory, batch by batch as CopyTo checks them: the checksum's own cost.</summary>
    public ReadRunResult Crc(int round)
    {
        var clock = CpuStopwatch.StartNew();
        long calls = 0;
        var p = 0;
        while (p < _image.Length)
        {
            RecordBatchHeader.TryRead(_image.AsSpan(p), out var header);
            var size = (int)header.TotalSize;
            if (!RecordBatch.IsCrcValid(_image.AsSpan(p, size)))
            {
                throw new InvalidOperationException($"Batch at byte {p} of the log image fails its CRC.");
            }
            p += size;
            calls++;
        }
        var sample = clock.Sample();
        return new ReadRunResult(ReadCases.Crc, round, _image.Length, sample.WallSeconds, sample.UserSeconds,
            sample.SystemSeconds, calls, 0, sample.WallSeconds, 0, 0);
    }

    public async ValueTask DisposeAsync()
    {
        _image = [];
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static long LastOffset(ReadOnlySpan<byte> wholeBatches)
    {
        long last = -1;
        var p = 0;
        while (p < wholeBatches.Length && RecordBatchHeader.TryRead(wholeBatches[p..], out var header))
        {
            last = header.LastOffset;
            p += (int)header.TotalSize;
        }
        return last;
    }

    private string[] SegmentFiles() =>
        Directory.GetFiles(_log.Directory, "*.log").Order(StringComparer.Ordinal).ToArray();

    /// <summary>Reads every segment into one array, which the in-memory baselines work on.</summary>
    private void LoadImage()
    {
        var files = SegmentFiles();
        LogBytes = files.Sum(f => new FileInfo(f).Length);
        _image = GC.AllocateUninitializedArray<byte>(checked((int)LogBytes));
        var p = 0;
        foreach (var path in files)
        {
            using var handle = File.OpenHandle(path);
            long position = 0;
            int n;
            while ((n = RandomAccess.Read(handle, _image.AsSpan(p), position)) > 0)
            {
                p += n;
                position += n;
            }
        }
    }
}

/// <summary>Names of the read cases, shared by the fixture and the report.</summary>
internal static class ReadCases
{
    /// <summary>The id <c>--only</c> matches to run the read section.</summary>
    public const string Section = "read";

    public const string Log = "log-read";
    public const string File = "file-read";
    public const string Memcpy = "memcpy";
    public const string Crc = "crc32c";
}

/// <summary>
/// One read run. For the log read, <see cref="LookupSeconds"/> is time inside PartitionLog.Read (finding the
/// batch) and <see cref="CopySeconds"/> time inside LogSlice.CopyTo (pread plus CRC); <see cref="FileReads"/> and
/// <see cref="FileBytesRead"/> count every pread the engine made, including its index scans.
/// </summary>
internal sealed record ReadRunResult(string Case, int Round, long Bytes, double Seconds, double UserCpuSeconds,
    double SystemCpuSeconds, long Calls, double LookupSeconds, double CopySeconds, long FileReads, long FileBytesRead)
{
    public double GBps => Bytes / Seconds / 1e9;

    public double CpuMsPerMB => (UserCpuSeconds + SystemCpuSeconds) * 1000 / (Bytes / 1e6);

    public double LookupUsPerCall => Calls == 0 ? double.NaN : LookupSeconds / Calls * 1e6;

    public double CopyUsPerCall => Calls == 0 ? double.NaN : CopySeconds / Calls * 1e6;

    /// <summary>Bytes the engine read from files per byte it delivered (1.0 = no over-read).</summary>
    public double ReadAmplification => FileBytesRead == 0 ? double.NaN : (double)FileBytesRead / Bytes;
}
