using Herald.Storage.IO;

namespace Herald.TestKit.Tests;

public sealed class CrashableStorageDeviceTests
{
    private const string DataDirectory = "/data";
    private const string LogPath = "/data/00000000000000000000.log";
    private const int Sector = CrashableStorageDevice.SectorSizeBytes;

    [Fact]
    public void Flushed_data_survives_a_crash()
    {
        var expected = RandomBytes(3000, seed: 1);
        for (var seed = 0; seed < 50; seed++)
        {
            var device = DeviceWithDataDirectory();
            using (var file = device.Open(LogPath, FileOpenMode.CreateNew))
            {
                file.Write(0, expected.AsSpan(0, 1000));
                file.Write(1000, expected.AsSpan(1000));
                file.Flush();
            }
            device.SyncDirectory(DataDirectory);

            device.Crash(seed);

            Assert.Equal(expected, device.GetFileBytes(LogPath));
            using var reopened = device.Open(LogPath, FileOpenMode.OpenExisting);
            var read = new byte[4000];
            Assert.Equal(3000, reopened.Read(0, read));
            Assert.Equal(expected, read[..3000]);
        }
    }

    [Fact]
    public void Unflushed_data_may_be_lost_but_never_corrupts_the_flushed_prefix()
    {
        var flushed = RandomBytes(1000, seed: 2);
        var unflushed = RandomBytes(4500, seed: 3);
        var everything = flushed.Concat(unflushed).ToArray();
        int[] writeEnds = [1000, 2500, 4000, 5500];
        bool lostAll = false, keptAll = false, torn = false;

        for (var seed = 0; seed < 300; seed++)
        {
            var device = DeviceWithDataDirectory();
            using (var file = device.Open(LogPath, FileOpenMode.CreateNew))
            {
                file.Write(0, flushed);
                file.Flush();
                device.SyncDirectory(DataDirectory);
                for (var i = 0; i < 3; i++)
                {
                    file.Write(1000 + (i * 1500), unflushed.AsSpan(i * 1500, 1500));
                }
            }

            device.Crash(seed);

            var bytes = device.GetFileBytes(LogPath);
            Assert.InRange(bytes.Length, 1000, 5500);
            Assert.Equal(flushed, bytes[..1000]);
            AssertDamageConfinedToOneSector(everything, bytes, seed);
            lostAll |= bytes.Length == 1000;
            keptAll |= bytes.AsSpan().SequenceEqual(everything);
            torn |= !writeEnds.Contains(bytes.Length) || !bytes.AsSpan().SequenceEqual(everything.AsSpan(0, bytes.Length));
        }

        // The outcomes must all be reachable, or the crash model is not exploring anything.
        Assert.True(lostAll, "no seed lost all unflushed writes");
        Assert.True(keptAll, "no seed kept all unflushed writes");
        Assert.True(torn, "no seed tore a write");
    }

    [Fact]
    public void A_torn_write_keeps_a_prefix_that_ends_at_a_sector_boundary()
    {
        var flushed = RandomBytes(100, seed: 4);
        var pending = RandomBytes(3000, seed: 5);
        var everything = flushed.Concat(pending).ToArray();
        bool zeroed = false, garbage = false, cutClean = false;

        for (var seed = 0; seed < 400; seed++)
        {
            var device = DeviceWithDataDirectory();
            using (var file = device.Open(LogPath, FileOpenMode.CreateNew))
            {
                file.Write(0, flushed);
                file.Flush();
                device.SyncDirectory(DataDirectory);
                file.Write(100, pending);
            }

            device.Crash(seed);

            var bytes = device.GetFileBytes(LogPath);
            Assert.Equal(flushed, bytes[..100]);
            if (bytes.Length is 100 or 3100 && bytes.AsSpan().SequenceEqual(everything.AsSpan(0, bytes.Length)))
            {
                continue; // not torn: the write was dropped or kept whole
            }

            // Torn: everything before the cut is the write's data, the cut is the write's start or a sector boundary,
            // and the only damage is the one sector after the cut (clipped to the write).
            var mismatch = FirstMismatch(everything, bytes);
            var cut = Math.Max(100, mismatch / Sector * Sector);
            var damageEnd = Math.Min(3100, ((cut / Sector) + 1) * Sector);
            if (bytes.Length == cut)
            {
                cutClean = true;
                continue;
            }
            Assert.True(bytes.Length == damageEnd, $"seed {seed}: length {bytes.Length}, cut {cut}, expected damage to end at {damageEnd}");
            var damage = bytes.AsSpan(cut, damageEnd - cut);
            if (damage.IndexOfAnyExcept((byte)0) < 0)
            {
                zeroed = true;
            }
            else
            {
                garbage = true;
            }
        }

        Assert.True(cutClean, "no seed cut a write cleanly at a sector boundary");
        Assert.True(zeroed, "no seed zeroed the sector after the tear");
        Assert.True(garbage, "no seed filled the sector after the tear with garbage");
    }

    [Fact]
    public void Crash_losing_everything_unsynced_keeps_only_flushed_images_and_synced_entries()
    {
        var device = DeviceWithDataDirectory();
        var flushed = RandomBytes(700, seed: 6);
        using (var log = device.Open(LogPath, FileOpenMode.CreateNew))
        {
            log.Write(0, flushed);
            log.Flush();
            device.SyncDirectory(DataDirectory);
            log.Write(700, RandomBytes(300, seed: 7));
        }
        using (var unsynced = device.Open("/data/new.index", FileOpenMode.CreateNew))
        {
            unsynced.Write(0, RandomBytes(10, seed: 8));
            unsynced.Flush();
        }

        device.CrashLosingEverythingUnsynced();

        Assert.Equal(flushed, device.GetFileBytes(LogPath));
        Assert.False(device.FileExists("/data/new.index"));
        Assert.Equal(["00000000000000000000.log"], device.ListFiles(DataDirectory));
    }

    [Fact]
    public void A_flushed_file_whose_directory_was_not_synced_may_vanish()
    {
        var data = RandomBytes(64, seed: 9);
        bool vanished = false, survived = false;
        for (var seed = 0; seed < 40; seed++)
        {
            var device = DeviceWithDataDirectory();
            WriteFlushed(device, LogPath, data);

            device.Crash(seed);

            if (device.FileExists(LogPath))
            {
                survived = true;
                Assert.Equal(data, device.GetFileBytes(LogPath)); // when the name survives, the flushed data is there
            }
            else
            {
                vanished = true;
            }
        }
        Assert.True(vanished && survived, $"vanished: {vanished}, survived: {survived}");

        var worstCase = DeviceWithDataDirectory();
        WriteFlushed(worstCase, LogPath, data);
        worstCase.CrashLosingEverythingUnsynced();
        Assert.False(worstCase.FileExists(LogPath));
    }

    [Fact]
    public void A_flushed_file_survives_once_its_directory_is_synced()
    {
        var data = RandomBytes(64, seed: 10);
        var device = DeviceWithDataDirectory();
        WriteFlushed(device, LogPath, data);
        device.SyncDirectory(DataDirectory);

        device.CrashLosingEverythingUnsynced();

        Assert.Equal(data, device.GetFileBytes(LogPath));
    }

    [Fact]
    public void A_synced_directory_keeps_the_name_but_not_unflushed_data()
    {
        var device = DeviceWithDataDirectory();
        using (var file = device.Open(LogPath, FileOpenMode.CreateNew))
        {
            file.Write(0, RandomBytes(64, seed: 11));
        }
        device.SyncDirectory(DataDirectory);

        device.CrashLosingEverythingUnsynced();

        Assert.True(device.FileExists(LogPath));
        Assert.Empty(device.GetFileBytes(LogPath));
    }

    [Fact]
    public void A_directory_whose_creation_was_not_synced_vanishes_with_its_files()
    {
        var device = DeviceWithDataDirectory();
        device.CreateDirectory("/data/topic-0");
        WriteFlushed(device, "/data/topic-0/a.log", RandomBytes(10, seed: 12));
        device.SyncDirectory("/data/topic-0"); // the file is in the directory, but the directory is not in /data

        device.CrashLosingEverythingUnsynced();

        Assert.False(device.DirectoryExists("/data/topic-0"));
        Assert.False(device.FileExists("/data/topic-0/a.log"));
        Assert.True(device.DirectoryExists(DataDirectory));
    }

    [Fact]
    public void A_rename_is_undone_when_the_destination_directory_was_not_synced()
    {
        var data = RandomBytes(32, seed: 13);
        var device = DeviceWithDataDirectory();
        WriteFlushed(device, "/data/meta.tmp", data);
        device.SyncDirectory(DataDirectory);
        device.Rename("/data/meta.tmp", "/data/meta");
        Assert.True(device.FileExists("/data/meta"));

        device.CrashLosingEverythingUnsynced();

        Assert.False(device.FileExists("/data/meta"));
        Assert.Equal(data, device.GetFileBytes("/data/meta.tmp"));
    }

    [Fact]
    public void An_unsynced_replacing_rename_restores_the_old_destination()
    {
        var oldData = RandomBytes(16, seed: 14);
        var newData = RandomBytes(24, seed: 15);
        var device = DeviceWithDataDirectory();
        WriteFlushed(device, "/data/meta", oldData);
        WriteFlushed(device, "/data/meta.tmp", newData);
        device.SyncDirectory(DataDirectory);
        device.Rename("/data/meta.tmp", "/data/meta");
        Assert.Equal(newData, device.GetFileBytes("/data/meta"));

        device.CrashLosingEverythingUnsynced();

        Assert.Equal(oldData, device.GetFileBytes("/data/meta"));
        Assert.Equal(newData, device.GetFileBytes("/data/meta.tmp"));
    }

    [Fact]
    public void A_rename_is_durable_once_the_destination_directory_is_synced()
    {
        var data = RandomBytes(32, seed: 16);
        var device = new CrashableStorageDevice();
        device.CreateDirectory("/a");
        device.CreateDirectory("/b");
        device.SyncDirectory("/");
        WriteFlushed(device, "/a/x", data);
        device.SyncDirectory("/a");
        device.Rename("/a/x", "/b/x");
        device.SyncDirectory("/b"); // only the destination: the rename is one atomic change

        device.CrashLosingEverythingUnsynced();

        Assert.Equal(data, device.GetFileBytes("/b/x"));
        Assert.False(device.FileExists("/a/x"));
    }

    [Fact]
    public void An_unsynced_delete_is_undone_and_a_synced_one_is_not()
    {
        var data = RandomBytes(32, seed: 17);
        var device = DeviceWithDataDirectory();
        WriteFlushed(device, "/data/a", data);
        WriteFlushed(device, "/data/b", data);
        device.SyncDirectory(DataDirectory);
        device.DeleteFile("/data/a");
        device.CrashLosingEverythingUnsynced();
        Assert.Equal(data, device.GetFileBytes("/data/a"));

        device.DeleteFile("/data/b");
        device.SyncDirectory(DataDirectory);
        device.CrashLosingEverythingUnsynced();
        Assert.False(device.FileExists("/data/b"));
    }

    [Fact]
    public void TearNextWrite_stores_only_the_requested_bytes_and_throws()
    {
        var device = DeviceWithDataDirectory();
        var data = RandomBytes(2000, seed: 18);
        using var log = device.Open(LogPath, FileOpenMode.CreateNew);
        using var index = device.Open("/data/00000000000000000000.index", FileOpenMode.CreateNew);
        device.TearNextWrite(path => path.EndsWith(".log", StringComparison.Ordinal), keepBytes: 700);

        index.Write(0, data.AsSpan(0, 100)); // not matching: written whole
        var error = Assert.Throws<IOException>(() => log.Write(0, data));

        Assert.Contains("torn", error.Message, StringComparison.Ordinal);
        Assert.Equal(data[..700], device.GetFileBytes(LogPath));
        Assert.Equal(100, index.Length);
        log.Write(700, data.AsSpan(700)); // one-shot
        Assert.Equal(data, device.GetFileBytes(LogPath));
    }

    [Fact]
    public void A_failed_flush_drops_the_pending_writes_of_that_file_only()
    {
        var device = DeviceWithDataDirectory();
        var flushed = RandomBytes(100, seed: 19);
        var lost = RandomBytes(100, seed: 20);
        using var log = device.Open(LogPath, FileOpenMode.CreateNew);
        using var other = device.Open("/data/other", FileOpenMode.CreateNew);
        device.SyncDirectory(DataDirectory);
        log.Write(0, flushed);
        log.Flush();
        log.Write(100, lost);
        other.Write(0, lost);
        device.FailFlushWhen(path => path == LogPath);

        Assert.Throws<IOException>(log.Flush);

        Assert.Equal(flushed, device.GetFileBytes(LogPath)); // dirty pages dropped: not even readable any more
        Assert.Equal(flushed, device.GetDurableBytes(LogPath));
        Assert.Equal(lost, device.GetFileBytes("/data/other"));
        other.Flush();

        device.FailFlushWhen(null);
        log.Flush(); // succeeds, as on Linux, without bringing the lost writes back
        device.Crash(seed: 0);
        Assert.Equal(flushed, device.GetFileBytes(LogPath));
        Assert.Equal(lost, device.GetFileBytes("/data/other"));
    }

    [Fact]
    public void FailFlushAfter_fails_exactly_one_later_flush()
    {
        var device = DeviceWithDataDirectory();
        using var file = device.Open(LogPath, FileOpenMode.CreateNew);
        device.FailFlushAfter(2);

        file.Flush();
        file.Flush();
        Assert.Throws<IOException>(file.Flush);
        file.Flush();

        Assert.Equal(4, device.FlushCount);
        Assert.Equal(4, device.GetFlushCount(LogPath));
    }

    [Fact]
    public void A_failed_write_writes_nothing()
    {
        var device = DeviceWithDataDirectory();
        using var file = device.Open(LogPath, FileOpenMode.CreateNew);
        device.FailWriteAfter(1);

        file.Write(0, [1, 2, 3]);
        Assert.Throws<IOException>(() => file.Write(3, [4, 5, 6]));
        file.Write(3, [7]);
        device.FailWriteWhen(path => path.EndsWith(".log", StringComparison.Ordinal));
        Assert.Throws<IOException>(() => file.Write(4, [8]));
        device.ClearFaults();
        file.Write(4, [9]);

        Assert.Equal([1, 2, 3, 7, 9], device.GetFileBytes(LogPath));
        Assert.Equal(5, device.WriteCount);
    }

    [Fact]
    public void A_full_disk_writes_the_part_that_fits_and_throws_DiskFullException()
    {
        var device = DeviceWithDataDirectory();
        var data = RandomBytes(1200, seed: 21);
        using var file = device.Open(LogPath, FileOpenMode.CreateNew);
        using var other = device.Open("/data/other", FileOpenMode.CreateNew);
        other.Write(0, new byte[200]);
        device.CapacityBytes = 1000;
        file.Write(0, data.AsSpan(0, 600));

        Assert.Throws<DiskFullException>(() => file.Write(600, data.AsSpan(600)));

        Assert.Equal(data[..800], device.GetFileBytes(LogPath)); // 200 of the 600 bytes fitted
        file.Write(0, data.AsSpan(0, 800)); // overwriting in place needs no space
        Assert.Throws<DiskFullException>(() => file.SetLength(801));
        device.DeleteFile("/data/other"); // freeing space lets writes continue
        file.Write(800, data.AsSpan(800, 200));
        Assert.Equal(data[..1000], device.GetFileBytes(LogPath));
    }

    [Fact]
    public void Handles_opened_before_a_crash_are_dead_and_new_handles_work()
    {
        var device = DeviceWithDataDirectory();
        var file = device.Open(LogPath, FileOpenMode.CreateNew);
        file.Write(0, [1, 2, 3]);
        file.Flush();
        device.SyncDirectory(DataDirectory);

        device.Crash(seed: 1);

        Assert.Throws<IOException>(() => file.Write(3, [4]));
        Assert.Throws<IOException>(() => file.Read(0, new byte[3]));
        Assert.Throws<IOException>(file.Flush);
        Assert.Throws<IOException>(() => file.SetLength(0));
        Assert.Throws<IOException>(() => file.Length);
        file.Dispose(); // an abandoned engine can still dispose its handles

        using var reopened = device.Open(LogPath, FileOpenMode.OpenExisting);
        reopened.Write(3, [4]);
        Assert.Equal([1, 2, 3, 4], device.GetFileBytes(LogPath));
    }

    [Fact]
    public void Crash_keeping_everything_keeps_unflushed_writes_but_not_their_durability()
    {
        var device = DeviceWithDataDirectory();
        var file = device.Open(LogPath, FileOpenMode.CreateNew);
        file.Write(0, [1, 2, 3]);

        device.CrashKeepingEverything();

        Assert.Throws<IOException>(() => file.Write(3, [4]));
        Assert.Equal([1, 2, 3], device.GetFileBytes(LogPath));
        Assert.Empty(device.GetDurableBytes(LogPath));
        device.CrashLosingEverythingUnsynced(); // the page cache survived kill -9, but was never written back
        Assert.False(device.FileExists(LogPath));
    }

    [Fact]
    public void The_same_seed_gives_the_same_disk()
    {
        static string Run(int seed)
        {
            var device = DeviceWithDataDirectory();
            for (var i = 0; i < 5; i++)
            {
                using var file = device.Open($"/data/{i}.log", FileOpenMode.CreateNew);
                file.Write(0, RandomBytes(1500, seed: i));
                if (i % 2 == 0)
                {
                    file.Flush();
                }
                file.Write(1500, RandomBytes(1500, seed: 100 + i));
            }
            device.Rename("/data/0.log", "/data/renamed.log");
            device.Crash(seed);
            return string.Join(";", device.ListFiles(DataDirectory).Select(name =>
                $"{name}={Convert.ToHexString(device.GetFileBytes($"/data/{name}"))}"));
        }

        Assert.Equal(Run(7), Run(7));
        Assert.True(Enumerable.Range(0, 10).Select(Run).Distinct().Count() > 1, "every seed gave the same disk");
    }

    [Fact]
    public void Corruption_tools_edit_both_images()
    {
        var device = DeviceWithDataDirectory();
        WriteFlushed(device, LogPath, [0b0000_0000, 0xFF, 0x10, 0x20]);

        device.CorruptByte(LogPath, 0);
        device.CorruptByte(LogPath, 1, bit: 7);
        Assert.Equal([0x01, 0x7F, 0x10, 0x20], device.GetFileBytes(LogPath));
        Assert.Equal([0x01, 0x7F, 0x10, 0x20], device.GetDurableBytes(LogPath));

        device.Truncate(LogPath, 3);
        device.AppendGarbage(LogPath, [0xAA, 0xBB]);
        Assert.Equal([0x01, 0x7F, 0x10, 0xAA, 0xBB], device.GetFileBytes(LogPath));
        Assert.Equal([0x01, 0x7F, 0x10, 0xAA, 0xBB], device.GetDurableBytes(LogPath));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.CorruptByte(LogPath, 5));
    }

    [Fact]
    public void Counters_count_flushes_per_file_and_directory_syncs()
    {
        var device = DeviceWithDataDirectory();
        using var a = device.Open("/data/a", FileOpenMode.CreateNew);
        using var b = device.Open("/data/b", FileOpenMode.CreateNew);
        a.Flush();
        a.Flush();
        b.Flush();
        device.SyncDirectory(DataDirectory);
        device.SyncDirectory("/data/");

        Assert.Equal(2, device.GetFlushCount("/data/a"));
        Assert.Equal(1, device.GetFlushCount("/data/b"));
        Assert.Equal(3, device.FlushCount);
        Assert.Equal(2, device.GetSyncDirectoryCount(DataDirectory));
        Assert.Equal(1, device.GetSyncDirectoryCount("/"));
        Assert.Equal(3, device.SyncDirectoryCount);
    }

    [Fact]
    public void Files_behave_like_posix_files()
    {
        var device = DeviceWithDataDirectory();
        using var file = device.Open("/data/./sub/../a.log", FileOpenMode.CreateNew);
        file.Write(10, [1, 2]);

        Assert.True(device.FileExists("data/a.log"));
        Assert.Equal(12, file.Length);
        var buffer = new byte[20];
        Assert.Equal(12, file.Read(0, buffer)); // the gap reads as zeros, and a read past the end is short
        Assert.Equal(0, file.Read(50, buffer));
        Assert.Throws<IOException>(() => device.Open("/data/a.log", FileOpenMode.CreateNew));
        Assert.Throws<FileNotFoundException>(() => device.Open("/data/missing", FileOpenMode.OpenExisting));
        Assert.Throws<DirectoryNotFoundException>(() => device.Open("/nowhere/a", FileOpenMode.OpenOrCreate));

        device.CreateDirectory("/data/z/deep");
        device.CreateDirectory("/data/b");
        using (device.Open("/data/0.index", FileOpenMode.OpenOrCreate))
        {
        }
        Assert.Equal(["0.index", "a.log"], device.ListFiles(DataDirectory));
        Assert.Equal(["b", "z"], device.ListDirectories(DataDirectory));

        device.DeleteFile("/data/a.log");
        file.Write(12, [3]); // an unlinked file stays usable through its handle
        Assert.Equal(13, file.Length);
        Assert.False(device.FileExists("/data/a.log"));
        device.DeleteDirectory("/data/z");
        Assert.False(device.DirectoryExists("/data/z/deep"));
    }

    [Fact]
    public void SyncAll_makes_everything_durable()
    {
        var device = new CrashableStorageDevice();
        device.CreateDirectory("/data/topic-0");
        using (var file = device.Open("/data/topic-0/a.log", FileOpenMode.CreateNew))
        {
            file.Write(0, [1, 2, 3]);
        }

        device.SyncAll();
        device.CrashLosingEverythingUnsynced();

        Assert.Equal([1, 2, 3], device.GetFileBytes("/data/topic-0/a.log"));
        Assert.Equal(0, device.FlushCount);
    }

    [Fact]
    public async Task Concurrent_writers_and_flushers_do_not_interfere()
    {
        var device = DeviceWithDataDirectory();
        var writers = Enumerable.Range(0, 4).Select(i => Task.Run(() =>
        {
            using var file = device.Open($"/data/{i}.log", FileOpenMode.CreateNew);
            for (var n = 0; n < 200; n++)
            {
                file.Write(file.Length, [(byte)i, (byte)n]);
                if (n % 10 == 0)
                {
                    file.Flush();
                }
            }
            file.Flush();
        }));

        await Task.WhenAll(writers);

        device.SyncDirectory(DataDirectory);
        device.Crash(seed: 3);
        for (var i = 0; i < 4; i++)
        {
            var expected = Enumerable.Range(0, 200).SelectMany(n => new[] { (byte)i, (byte)n }).ToArray();
            Assert.Equal(expected, device.GetFileBytes($"/data/{i}.log"));
        }
        Assert.Equal(4 * 21, device.FlushCount);
    }

    private static CrashableStorageDevice DeviceWithDataDirectory()
    {
        var device = new CrashableStorageDevice();
        device.CreateDirectory(DataDirectory);
        device.SyncDirectory("/");
        return device;
    }

    private static void WriteFlushed(CrashableStorageDevice device, string path, byte[] data)
    {
        using var file = device.Open(path, FileOpenMode.CreateNew);
        file.Write(0, data);
        file.Flush();
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static int FirstMismatch(byte[] expected, byte[] actual)
    {
        var common = actual.AsSpan().CommonPrefixLength(expected);
        return common;
    }

    /// <summary>Every byte differs from <paramref name="expected"/> only inside the one sector that starts at the first difference's sector.</summary>
    private static void AssertDamageConfinedToOneSector(byte[] expected, byte[] actual, int seed)
    {
        var mismatch = FirstMismatch(expected, actual);
        if (mismatch >= actual.Length)
        {
            return;
        }
        var sectorEnd = ((mismatch / Sector) + 1) * Sector;
        Assert.True(actual.Length <= sectorEnd, $"seed {seed}: damage at {mismatch} but the file runs on to {actual.Length}");
    }
}
