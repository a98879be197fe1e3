using Herald.Storage.IO;

namespace Herald.TestKit;

// File handles and the data path: writes, reads, flushes and SetLength, with the injected faults applied.
public sealed partial class CrashableStorageDevice
{
    private void Write(Inode inode, long position, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        _writeCount++;
        if (ShouldFailWrite(inode.Path))
        {
            throw new IOException($"write to {inode.Path}: input/output error (injected EIO)");
        }
        if (_tearNextWrite is { } tear && tear.Matches(inode.Path))
        {
            _tearNextWrite = null;
            var kept = Math.Min(tear.KeepBytes, data.Length);
            ApplyWrite(inode, position, data[..kept]);
            throw new IOException($"write to {inode.Path}: torn after {kept} of {data.Length} bytes (injected)");
        }
        if (_capacityBytes is { } capacity)
        {
            var used = UsedBytes();
            var growth = Math.Max(0, position + data.Length - inode.Current.Length);
            if (used + growth > capacity)
            {
                // ENOSPC after a short write: the bytes that fit are written, as write(2) does before failing.
                var allowedEnd = inode.Current.Length + Math.Max(0, capacity - used);
                var fits = (int)Math.Clamp(allowedEnd - position, 0, data.Length);
                ApplyWrite(inode, position, data[..fits]);
                throw new DiskFullException(
                    $"write to {inode.Path}: no space left on device ({fits} of {data.Length} bytes written)");
            }
        }
        ApplyWrite(inode, position, data);
    }

    private static void ApplyWrite(Inode inode, long position, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        inode.Current.Write(position, data);
        inode.Pending.Add(PendingOperation.Write(position, data));
    }

    private void SetLength(Inode inode, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var growth = length - inode.Current.Length;
        if (growth > 0 && _capacityBytes is { } capacity && UsedBytes() + growth > capacity)
        {
            // Capacity counts file lengths, so an extension is charged in full even though ext4 would keep it sparse.
            throw new DiskFullException($"extend {inode.Path} to {length} bytes: no space left on device");
        }
        inode.Current.SetLength(length);
        inode.Pending.Add(PendingOperation.SetLength(length));
    }

    private void Flush(Inode inode)
    {
        _flushCount++;
        inode.FlushCount++;
        if (ShouldFailFlush(inode.Path))
        {
            // Linux after a failed fsync marks the dirty pages clean and drops them: the unflushed writes are gone
            // from memory as well as from disk, and the next fsync reports success (fsyncgate; Rebello et al.,
            // ATC'20). An engine that retries the fsync and then acks has lost data, which is what D5 catches.
            inode.Current.CopyFrom(inode.Durable);
            inode.Pending.Clear();
            throw new IOException($"fsync of {inode.Path}: input/output error (injected EIO)");
        }
        inode.Durable.CopyFrom(inode.Current);
        inode.Pending.Clear();
    }

    /// <summary>Sum of current file lengths; the disk-full model charges exactly this against the capacity.</summary>
    private long UsedBytes()
    {
        var used = 0L;
        foreach (var inode in _current.Files.Values)
        {
            used += inode.Current.Length;
        }
        return used;
    }

    /// <summary>
    /// A handle on one inode. It keeps working after its name is deleted or renamed (POSIX), and dies when the
    /// device crashes. Thread-safe through the device's lock.
    /// </summary>
    private sealed class CrashableFile(CrashableStorageDevice device, Inode inode, int epoch) : IStorageFile
    {
        private bool _disposed;

        public long Length
        {
            get
            {
                lock (device._gate)
                {
                    ThrowIfDead();
                    return inode.Current.Length;
                }
            }
        }

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            lock (device._gate)
            {
                ThrowIfDead();
                device.Write(inode, position, data);
            }
        }

        public int Read(long position, Span<byte> destination)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(position);
            lock (device._gate)
            {
                ThrowIfDead();
                return inode.Current.Read(position, destination);
            }
        }

        public void Flush()
        {
            device._flushGate.Wait();
            lock (device._gate)
            {
                ThrowIfDead();
                device.Flush(inode);
            }
        }

        public void SetLength(long length)
        {
            lock (device._gate)
            {
                ThrowIfDead();
                device.SetLength(inode, length);
            }
        }

        /// <summary>Never throws, not even on a handle killed by a crash, so an abandoned engine can still be disposed.</summary>
        public void Dispose()
        {
            lock (device._gate)
            {
                _disposed = true;
            }
        }

        private void ThrowIfDead()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (epoch != device._epoch)
            {
                throw new IOException($"{inode.Path}: the handle was opened before a simulated crash and is dead");
            }
        }
    }
}
