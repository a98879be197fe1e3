namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// Publisher confirms of one channel, coalesced: publishes complete (become durable) mostly in order and in groups
/// (one fsync covers many), so when the oldest outstanding publishes are all done they are acknowledged with one
/// basic.ack multiple=true for the newest of them, instead of one frame each. A nack (a queue refused the message,
/// or storage failed) is sent on its own, in order. Thread-safe: completions arrive from storage threads.
/// </summary>
internal sealed class ConfirmTracker(Action<ulong, bool, bool> send)
{
    private readonly object _lock = new();
    // Outstanding publishes in sequence order: (sequence, completed, ack).
    private readonly Queue<Pending> _outstanding = new();
    private ulong _nextSequence;

    private sealed class Pending(ulong sequence)
    {
        public ulong Sequence { get; } = sequence;

        public bool Completed { get; set; }

        public bool Ack { get; set; }
    }

    /// <summary>Numbers the next publish (1, 2, ...) and tracks it until <paramref name="durable"/> completes.</summary>
    public void Track(Task durable, bool rejected)
    {
        Pending pending;
        lock (_lock)
        {
            pending = new Pending(++_nextSequence);
            _outstanding.Enqueue(pending);
        }
        if (durable.IsCompleted)
        {
            Complete(pending, durable.IsCompletedSuccessfully && !rejected);
            return;
        }
        durable.ContinueWith((task, state) => Complete((Pending)state!, task.IsCompletedSuccessfully && !rejected), pending,
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void Complete(Pending pending, bool ack)
    {
        // Sends happen under the lock so confirms leave in sequence order; sending only queues frames for the writer.
        lock (_lock)
        {
            pending.Completed = true;
            pending.Ack = ack;
            ulong lastAck = 0;
            var acked = 0;
            while (_outstanding.TryPeek(out var head) && head.Completed)
            {
                _outstanding.Dequeue();
                if (head.Ack)
                {
                    lastAck = head.Sequence;
                    acked++;
                    continue;
                }
                if (acked > 0)
                {
                    send(lastAck, true, acked > 1);
                    acked = 0;
                }
                send(head.Sequence, false, false);
            }
            if (acked > 0)
            {
                send(lastAck, true, acked > 1);
            }
        }
    }
}
