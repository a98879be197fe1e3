namespace Herald.TestKit;

// Simulated crashes: power loss (random, or losing everything unsynced), kill -9, and a full sync for test setup.
public sealed partial class CrashableStorageDevice
{
    /// <summary>Power loss with the choices drawn from <c>new Random(seed)</c>; the same seed on the same history gives the same disk.</summary>
    public void Crash(int seed) => Crash(new Random(seed));

    /// <summary>
    /// Power loss. Every unsynced directory change is kept or dropped with even odds. Every surviving file keeps its
    /// durable image plus a uniformly chosen prefix (possibly empty, possibly all) of its unflushed operations; when
    /// the last kept one is a write, it is torn with even odds: cut at its start or at a sector boundary inside it,
    /// and the sector after the cut (clipped to the write) left alone, zeroed or filled with garbage. All handles die.
    /// </summary>
    public void Crash(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (_gate)
        {
            CrashCore(random);
        }
    }

    /// <summary>The worst case power loss: only flushed images and synced directory entries survive. All handles die.</summary>
    public void CrashLosingEverythingUnsynced()
    {
        lock (_gate)
        {
            CrashCore(random: null);
        }
    }

    /// <summary>
    /// kill -9: the process dies but the page cache survives, so every completed write and namespace change stays
    /// visible. Only the handles die. What was not yet flushed or synced stays so: a later power-loss crash can still
    /// lose it.
    /// </summary>
    public void CrashKeepingEverything()
    {
        lock (_gate)
        {
            _epoch++;
        }
    }

    /// <summary>
    /// sync(2): makes every file's current image and every directory entry durable, without counting as flushes or
    /// directory syncs. For setting up a known starting disk.
    /// </summary>
    public void SyncAll()
    {
        lock (_gate)
        {
            foreach (var inode in _current.Files.Values)
            {
                inode.Durable.CopyFrom(inode.Current);
                inode.Pending.Clear();
            }
            _durable = _current.Clone();
            _pendingChanges.Clear();
        }
    }

    /// <summary>A null <paramref name="random"/> keeps nothing that is not durable.</summary>
    private void CrashCore(Random? random)
    {
        _epoch++;

        var survivors = _durable.Clone();
        foreach (var change in _pendingChanges)
        {
            if (change.Synced || (random is not null && random.Next(2) == 0))
            {
                change.ApplyTo(survivors);
            }
        }
        survivors.PruneOrphans();

        foreach (var (path, inode) in survivors.Files.OrderBy(f => f.Value.Id))
        {
            var image = ImageAfterPowerLoss(inode, random);
            inode.Durable.CopyFrom(image);
            inode.Current.CopyFrom(image);
            inode.Pending.Clear();
            inode.Path = path; // an undone rename puts the file back under its old name
        }

        // What survived is now on disk: durable and current agree, and nothing is pending.
        _current = survivors;
        _durable = survivors.Clone();
        _pendingChanges.Clear();
    }

    private static FileImage ImageAfterPowerLoss(Inode inode, Random? random)
    {
        var image = inode.Durable.Clone();
        if (random is null)
        {
            return image;
        }
        // Write-back reaches the disk in order (the LazyFS model), so what survives is a prefix.
        var kept = random.Next(inode.Pending.Count + 1);
        for (var i = 0; i < kept; i++)
        {
            var operation = inode.Pending[i];
            if (i == kept - 1 && operation.Data is not null && random.Next(2) == 0)
            {
                Tear(image, operation.Position, operation.Data, random);
            }
            else
            {
                operation.ApplyTo(image);
            }
        }
        return image;
    }

    /// <summary>
    /// Applies the part of a write that reached the disk before power failed. Sectors are atomic, so the cut is at
    /// the write's start or at a file offset that is a multiple of <see cref="SectorSizeBytes"/> inside the write.
    /// The sector after the cut, clipped to the write, is left as it was, zeroed, or filled with garbage.
    /// </summary>
    private static void Tear(FileImage image, long start, byte[] data, Random random)
    {
        var end = start + data.Length;
        var firstBoundary = (start / SectorSizeBytes + 1) * SectorSizeBytes;
        var boundariesInside = firstBoundary >= end ? 0 : (int)((end - 1 - firstBoundary) / SectorSizeBytes) + 1;
        var choice = random.Next(boundariesInside + 1);
        var cut = choice == 0 ? start : firstBoundary + (long)(choice - 1) * SectorSizeBytes;
        image.Write(start, data.AsSpan(0, (int)(cut - start)));

        var damagedEnd = Math.Min(end, (cut / SectorSizeBytes + 1) * SectorSizeBytes);
        var damagedLength = (int)(damagedEnd - cut);
        switch (random.Next(3))
        {
            case 0:
                break;
            case 1:
                image.Fill(cut, damagedLength, 0);
                break;
            default:
                var garbage = new byte[damagedLength];
                random.NextBytes(garbage);
                image.Write(cut, garbage);
                break;
        }
    }
}
