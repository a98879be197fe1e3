namespace Herald.Storage.Log;

/// <summary>
/// The threads that run group commits. An fdatasync blocks its thread for as long as the disk takes; on the thread
/// pool a handful of busy logs would block every worker (two on a two-core machine) and stall the network code
/// that shares it, because the pool only slowly adds threads for work that blocks in system calls. So fsyncs run
/// on a few dedicated background threads instead. Each turn runs one group commit of one log and puts the log back
/// at the end of the queue if more appends are waiting, so busy logs share the threads fairly.
/// Process-wide and started on first use; the threads are background threads and end with the process.
/// </summary>
internal static class FlushThreads
{
    /// <summary>How many fsyncs may run at once (different logs; one log never runs two).</summary>
    public static readonly int Count = Math.Clamp(Environment.ProcessorCount * 2, 4, 16);

    private static readonly Queue<PartitionLog> Ready = new();
    private static readonly object Gate = new();
    private static bool _started;

    public static void Schedule(PartitionLog log)
    {
        lock (Gate)
        {
            if (!_started)
            {
                _started = true;
                for (var i = 0; i < Count; i++)
                {
                    new Thread(Run) { IsBackground = true, Name = $"herald-fsync-{i}" }.Start();
                }
            }
            Ready.Enqueue(log);
            Monitor.Pulse(Gate);
        }
    }

    private static void Run()
    {
        while (true)
        {
            PartitionLog log;
            lock (Gate)
            {
                while (Ready.Count == 0)
                {
                    Monitor.Wait(Gate);
                }
                log = Ready.Dequeue();
            }
            if (log.RunOneGroupCommit())
            {
                Schedule(log);
            }
        }
    }
}
