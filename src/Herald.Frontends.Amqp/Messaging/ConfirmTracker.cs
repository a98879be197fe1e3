namespace Herald.Frontends.Amqp.Messaging;

/// <summary>
/// Publisher confirms of one channel, riding on the storage engine's group commit. Every persistent publish that
/// joins the same fsync round gets the same durable task from the log, so consecutive publishes with the same task
/// form one group here: one continuation per group (not per message), and when a group completes, every ack up to
/// its newest sequence goes out as one basic.ack multiple=true. A confirm never leaves before its message is durable,
/// and confirms leave in sequence order (an earlier group still waiting holds later ones back). A nack (a queue
/// refused the message, or storage failed) is sent on its own, in order. Thread-safe: completions arrive from the
/// fsync threads while the channel's read loop tracks new publishes.
/// </summary>
internal sealed class ConfirmTracker
{
    private readonly object _lock = new();
    private readonly Action<ulong, bool, bool> _send;
    // Outstanding groups in sequence order; a group covers sequences (previous group's Last, Last].
    private readonly Queue<Group> _outstanding = new();
    private readonly Action<Task, object?> _completed;
    private ulong _nextSequence;
    // The newest group, which a publish with the same durable task joins while it still waits.
    private Group? _tail;

    private sealed class Group(Task durable, ulong last, bool rejected)
    {
        public Task Durable { get; } = durable;

        public ulong First { get; } = last;

        public ulong Last { get; set; } = last;

        /// <summary>True for a refused publish: it is nacked on its own and never grows.</summary>
        public bool Rejected { get; } = rejected;

        public bool Completed { get; set; }
    }

    /// <param name="send">Sends one confirm: (delivery tag, ack, multiple). Called under the tracker's lock.</param>
    public ConfirmTracker(Action<ulong, bool, bool> send)
    {
        _send = send;
        _completed = (_, state) => Complete((Group)state!);
    }

    /// <summary>Numbers the next publish (1, 2, ...) and tracks it until <paramref name="durable"/> completes.</summary>
    public void Track(Task durable, bool rejected)
    {
        Group started;
        lock (_lock)
        {
            var sequence = ++_nextSequence;
            // Joining the newest group is only right while it waits: a completed group has already been confirmed.
            if (!rejected && _tail is { Rejected: false, Completed: false } tail && ReferenceEquals(tail.Durable, durable))
            {
                tail.Last = sequence;
                return;
            }
            started = new Group(durable, sequence, rejected);
            _outstanding.Enqueue(started);
            _tail = started;
        }
        if (durable.IsCompleted)
        {
            Complete(started);
            return;
        }
        durable.ContinueWith(_completed, started, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void Complete(Group group)
    {
        // Sends happen under the lock so confirms leave in sequence order; sending only queues frames for the writer.
        lock (_lock)
        {
            group.Completed = true;
            ulong lastAck = 0;
            ulong acked = 0;
            while (_outstanding.TryPeek(out var head) && head.Completed)
            {
                _outstanding.Dequeue();
                var count = head.Last - head.First + 1;
                if (!head.Rejected && head.Durable.IsCompletedSuccessfully)
                {
                    lastAck = head.Last;
                    acked += count;
                    continue;
                }
                if (acked > 0)
                {
                    _send(lastAck, true, acked > 1);
                    acked = 0;
                }
                _send(head.Last, false, count > 1);
            }
            if (acked > 0)
            {
                _send(lastAck, true, acked > 1);
            }
        }
    }
}
