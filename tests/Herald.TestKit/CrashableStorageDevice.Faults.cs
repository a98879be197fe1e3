namespace Herald.TestKit;

// Fault injection: EIO on flush or write, a full disk, and a write torn on demand. Settable at any time, from any
// thread. Predicates receive the file's normalized path and run under the device's lock, so they must not call back
// into the device.
public sealed partial class CrashableStorageDevice
{
    private int _flushesBeforeFailure = -1;
    private Func<string, bool>? _failFlushWhen;
    private int _writesBeforeFailure = -1;
    private Func<string, bool>? _failWriteWhen;
    private TearRequest? _tearNextWrite;
    private long? _capacityBytes;
    private readonly ManualResetEventSlim _flushGate = new(initialState: true);

    /// <summary>
    /// The disk size in bytes, charged as the sum of the current lengths of all files; null (the default) for no
    /// limit. A write that would pass it writes the part that fits and throws <see cref="Herald.Storage.IO.DiskFullException"/>.
    /// Lowering it below the bytes in use is allowed: then only overwrites inside existing files succeed.
    /// </summary>
    public long? CapacityBytes
    {
        get
        {
            lock (_gate)
            {
                return _capacityBytes;
            }
        }
        set
        {
            lock (_gate)
            {
                _capacityBytes = value;
            }
        }
    }

    /// <summary>
    /// Lets <paramref name="successfulFlushes"/> more flushes (of any file) succeed, then fails the next one with EIO,
    /// once. The failure drops that file's unflushed writes (see <see cref="FailFlushWhen"/>).
    /// </summary>
    public void FailFlushAfter(int successfulFlushes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successfulFlushes);
        lock (_gate)
        {
            _flushesBeforeFailure = successfulFlushes;
        }
    }

    /// <summary>
    /// Every flush of a file whose path matches fails with EIO until the predicate is replaced or cleared (null).
    /// As on Linux, the failure drops the file's dirty pages: its unflushed writes vanish from the current image as
    /// well as the durable one, and a later flush that succeeds does not bring them back.
    /// </summary>
    public void FailFlushWhen(Func<string, bool>? predicate)
    {
        lock (_gate)
        {
            _failFlushWhen = predicate;
        }
    }

    /// <summary>
    /// Makes every flush wait (like a slow disk) until <see cref="ReleaseFlushes"/>, so a test can have work pile up
    /// behind an fsync in progress without depending on timing.
    /// </summary>
    public void HoldFlushes() => _flushGate.Reset();

    public void ReleaseFlushes() => _flushGate.Set();

    /// <summary>Lets <paramref name="successfulWrites"/> more writes succeed, then fails the next one with EIO, once. Nothing is written.</summary>
    public void FailWriteAfter(int successfulWrites)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successfulWrites);
        lock (_gate)
        {
            _writesBeforeFailure = successfulWrites;
        }
    }

    /// <summary>Every write to a file whose path matches fails with EIO, writing nothing, until replaced or cleared (null).</summary>
    public void FailWriteWhen(Func<string, bool>? predicate)
    {
        lock (_gate)
        {
            _failWriteWhen = predicate;
        }
    }

    /// <summary>
    /// The next write to a matching file stores only its first <paramref name="keepBytes"/> bytes (as unflushed data)
    /// and throws <see cref="IOException"/>: a process that died mid-write. Follow with a crash to see what a
    /// recovering engine finds. One-shot.
    /// </summary>
    public void TearNextWrite(Func<string, bool> predicate, int keepBytes)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentOutOfRangeException.ThrowIfNegative(keepBytes);
        lock (_gate)
        {
            _tearNextWrite = new TearRequest(predicate, keepBytes);
        }
    }

    /// <summary>Removes every injected flush and write failure and any pending tear. <see cref="CapacityBytes"/> is left as it is.</summary>
    public void ClearFaults()
    {
        lock (_gate)
        {
            _flushesBeforeFailure = -1;
            _failFlushWhen = null;
            _writesBeforeFailure = -1;
            _failWriteWhen = null;
            _tearNextWrite = null;
        }
    }

    private bool ShouldFailFlush(string path) =>
        CountDown(ref _flushesBeforeFailure) || _failFlushWhen?.Invoke(path) == true;

    private bool ShouldFailWrite(string path) =>
        CountDown(ref _writesBeforeFailure) || _failWriteWhen?.Invoke(path) == true;

    /// <summary>True when a one-shot countdown reaches zero (then disarms it); -1 means disarmed.</summary>
    private static bool CountDown(ref int remaining)
    {
        if (remaining < 0)
        {
            return false;
        }
        if (remaining == 0)
        {
            remaining = -1;
            return true;
        }
        remaining--;
        return false;
    }

    private sealed record TearRequest(Func<string, bool> Matches, int KeepBytes);
}
