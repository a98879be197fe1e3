namespace Herald.Primitives.Threading;

/// <summary>
/// Work to run soon, not now: a flush that should carry everything written meanwhile, an ack record that should
/// cover every ack that arrives meanwhile. On an event-loop thread (the AMQP and RESP transports' epoll loops) it
/// runs on that same thread once the loop has handled the events it is handling now, so it coalesces what that turn
/// produced without a thread switch (Redis's <c>beforeSleep</c> does the same for replies and AOF writes). Anywhere
/// else it is queued on the thread pool, as before. Either way it runs without the caller's locks; it must not block.
/// </summary>
public static class SoonWork
{
    [ThreadStatic]
    private static List<(Action<object?> Work, object? State)>? t_loopQueue;

    /// <summary>Runs <paramref name="work"/> after the current turn of this thread's event loop, or on the thread pool.</summary>
    public static void Schedule(Action<object?> work, object? state)
    {
        if (t_loopQueue is { } queue)
        {
            queue.Add((work, state));
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(work, state, preferLocal: false);
    }

    /// <summary>Makes the calling thread an event loop whose turns end with <see cref="RunScheduled"/>.</summary>
    public static void BecomeEventLoop() => t_loopQueue ??= [];

    /// <summary>
    /// Runs what was scheduled on this event-loop thread, including what that work schedules in turn. Called by the
    /// loop between turns; true if anything ran.
    /// </summary>
    public static bool RunScheduled()
    {
        var queue = t_loopQueue;
        if (queue is null || queue.Count == 0)
        {
            return false;
        }
        for (var i = 0; i < queue.Count; i++)
        {
            var (work, state) = queue[i];
            work(state);
        }
        queue.Clear();
        return true;
    }
}
