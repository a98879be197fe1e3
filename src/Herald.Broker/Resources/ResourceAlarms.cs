namespace Herald.Broker.Resources;

/// <summary>The node-wide resource alarms (RabbitMQ's memory and disk alarms); a set of flags.</summary>
[Flags]
public enum ResourceAlarm
{
    None = 0,

    /// <summary>The process uses more memory than the high watermark.</summary>
    Memory = 1,

    /// <summary>The data directory's filesystem has less free space than the disk free limit.</summary>
    Disk = 2,
}

/// <summary>
/// Which resource alarms are in effect, for the front ends that block publishers while any is (RabbitMQ blocks
/// publishing connections until every alarm has cleared). The <see cref="ResourceMonitor"/> raises and clears them;
/// front ends read <see cref="Active"/>, await <see cref="WhenCleared"/> and subscribe to <see cref="Changed"/>.
/// Thread-safe.
/// </summary>
public sealed class ResourceAlarms
{
    private readonly Lock _lock = new();
    // Written under _lock; read without it (Active is checked per command by the RESP front end).
    private volatile ResourceAlarm _active;
    // Completed while no alarm is in effect; replaced by a pending one when the first alarm is raised.
    private TaskCompletionSource _cleared = NewCleared(completed: true);

    /// <summary>
    /// Raised after <see cref="Active"/> changed, on the thread that changed it; handlers read the current state
    /// (two changes in quick succession may be reported out of order, never lost) and must not block.
    /// </summary>
    public event Action? Changed;

    public ResourceAlarm Active => _active;

    /// <summary>A task that completes once no alarm is in effect (already complete when none is).</summary>
    public Task WhenCleared
    {
        get
        {
            lock (_lock)
            {
                return _cleared.Task;
            }
        }
    }

    /// <summary>The reason RabbitMQ gives in connection.blocked: <c>low on memory</c>, <c>low on disk</c>.</summary>
    public static string Reason(ResourceAlarm alarms) =>
        (alarms & ResourceAlarm.Memory) != 0 ? "low on memory"
        : (alarms & ResourceAlarm.Disk) != 0 ? "low on disk"
        : "";

    /// <summary>Raises or clears one alarm; true when that changed anything.</summary>
    public bool Set(ResourceAlarm alarm, bool raised)
    {
        lock (_lock)
        {
            var next = raised ? _active | alarm : _active & ~alarm;
            if (next == _active)
            {
                return false;
            }
            if (_active == ResourceAlarm.None)
            {
                _cleared = NewCleared(completed: false);
            }
            else if (next == ResourceAlarm.None)
            {
                _cleared.SetResult();
            }
            _active = next;
        }
        Changed?.Invoke();
        return true;
    }

    private static TaskCompletionSource NewCleared(bool completed)
    {
        // Continuations run on the thread pool, not inside Set: a waiter resuming must not delay the monitor.
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            source.SetResult();
        }
        return source;
    }
}
