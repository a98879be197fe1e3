namespace Herald.Simulation;

/// <summary>
/// Holds back the log's group-commit fsyncs until the simulation lets them through. The group commit runs on the
/// storage engine's dedicated fsync threads (<c>FlushThreads</c>, named <c>herald-fsync-N</c>), whenever they get to
/// it; behind this gate it fsyncs only while the driver waits for durability. So under
/// <see cref="Herald.Storage.Log.FsyncPolicy.Always"/> a crash finds exactly the data no durability wait has covered
/// (a group commit in flight) whatever the thread timing, and a seed replays the same. Fsyncs the log makes on the
/// caller's thread (rolls, closes, index files, recovery) pass straight through: the driver would otherwise wait on
/// itself. <see cref="HeldCount"/> lets a run check that the gate still recognizes the fsync threads.
/// One per simulation; thread-safe.
/// </summary>
internal sealed class FsyncGate
{
    private const string GroupCommitThreadPrefix = "herald-fsync-";

    /// <summary>Long enough for any legitimate wait; a held fsync past this means the driver failed and went away.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(30);

    // Never disposed: an fsync thread may still be returning from Wait when the run ends.
    private readonly ManualResetEventSlim _open = new(initialState: false);
    private int _heldCount;

    /// <summary>Group-commit fsyncs that found the gate held and had to wait.</summary>
    public int HeldCount => Volatile.Read(ref _heldCount);

    /// <summary>Lets group-commit fsyncs through until <see cref="Hold"/>.</summary>
    public void Release() => _open.Set();

    public void Hold() => _open.Reset();

    /// <summary>Called before every fsync the log makes through the simulated device.</summary>
    public void WaitUntilReleased()
    {
        if (Thread.CurrentThread.Name?.StartsWith(GroupCommitThreadPrefix, StringComparison.Ordinal) != true ||
            _open.IsSet)
        {
            return;
        }
        Interlocked.Increment(ref _heldCount);
        if (!_open.Wait(AbandonedAfter))
        {
            throw new IOException("The simulation never released this fsync.");
        }
    }
}
