using System.Runtime.InteropServices;
using Herald.Broker.Messages;
using Herald.Broker.Queues;

namespace Herald.Broker.VirtualHosts;

/// <summary>
/// Scratch space for one <see cref="VirtualHost.Publish(ReadOnlySpan{Message}, Span{PublishResult})"/>: the routed
/// messages grouped by destination queue (in the order each queue was first reached, each queue's messages in publish
/// order), so every queue stores its share of a burst with one append. Reused across publishes by one thread
/// (<see cref="Rent"/>), so a burst allocates nothing per message beyond what the queues keep.
/// </summary>
internal sealed class PublishBatch
{
    [ThreadStatic]
    private static PublishBatch? t_cached;

    private readonly List<Queue> _queues = [];
    // Parallel to _queues; the lists stay allocated between batches (cleared, so no message is held).
    private readonly List<List<QueueOffer>> _offers = [];
    private readonly Dictionary<Queue, int> _queueIndex = new(ReferenceEqualityComparer.Instance);
    // The second and later durable tasks of messages stored in several queues: (message index, task).
    private readonly List<(int Index, Task Durable)> _moreDurable = [];
    private readonly List<Task> _scratch = [];

    public static PublishBatch Rent()
    {
        var batch = t_cached ?? new PublishBatch();
        t_cached = null;
        return batch;
    }

    public static void Return(PublishBatch batch)
    {
        batch.Clear();
        t_cached = batch;
    }

    /// <summary>Message <paramref name="index"/> of the burst goes to <paramref name="queues"/> (deduplicated).</summary>
    public void Add(int index, Message message, List<Queue> queues)
    {
        // Encoded once for every queue's record.
        var headers = MessageRecordCodec.EncodeHeaders(message);
        var deaths = MessageRecordCodec.EncodeDeaths(message);
        foreach (var queue in queues)
        {
            if (!_queueIndex.TryGetValue(queue, out var q))
            {
                q = _queues.Count;
                _queueIndex.Add(queue, q);
                _queues.Add(queue);
                if (_offers.Count == q)
                {
                    _offers.Add([]);
                }
            }
            _offers[q].Add(new QueueOffer { Index = index, Message = message, EncodedHeaders = headers, EncodedDeaths = deaths });
        }
    }

    /// <summary>
    /// Stores every queue's share and completes <paramref name="results"/> (routed ones: queue count, rejected by any
    /// queue, and a task for when every persistent copy is durable).
    /// </summary>
    public void Deliver(Span<PublishResult> results)
    {
        for (var q = 0; q < _queues.Count; q++)
        {
            var offers = CollectionsMarshal.AsSpan(_offers[q]);
            _queues[q].Enqueue(offers);
            foreach (ref var offer in offers)
            {
                ref var result = ref results[offer.Index];
                var durable = result.Durable;
                if (!offer.Durable.IsCompleted || offer.Durable.IsFaulted)
                {
                    if (durable.IsCompleted && !durable.IsFaulted)
                    {
                        durable = offer.Durable;
                    }
                    else
                    {
                        _moreDurable.Add((offer.Index, offer.Durable));
                    }
                }
                result = result with
                {
                    QueueCount = result.QueueCount + 1,
                    Rejected = result.Rejected || offer.Rejected,
                    Durable = durable,
                };
            }
        }
        if (_moreDurable.Count > 0)
        {
            CombineDurable(results);
        }
    }

    /// <summary>
    /// A message stored in several queues is durable when every copy is. Consecutive messages of a fan-out usually
    /// wait for the same appends, so they share one combined task (which also lets their confirms form one group).
    /// </summary>
    private void CombineDurable(Span<PublishResult> results)
    {
        _moreDurable.Sort((a, b) => a.Index.CompareTo(b.Index)); // ties keep no order, which a set does not need
        Task[]? lastTasks = null;
        Task? lastCombined = null;
        var i = 0;
        while (i < _moreDurable.Count)
        {
            var index = _moreDurable[i].Index;
            _scratch.Clear();
            _scratch.Add(results[index].Durable);
            for (; i < _moreDurable.Count && _moreDurable[i].Index == index; i++)
            {
                _scratch.Add(_moreDurable[i].Durable);
            }
            if (lastTasks is null || !SameTasks(lastTasks, _scratch))
            {
                lastTasks = [.. _scratch];
                lastCombined = Task.WhenAll(lastTasks);
            }
            results[index] = results[index] with { Durable = lastCombined! };
        }
    }

    private static bool SameTasks(Task[] tasks, List<Task> other)
    {
        if (tasks.Length != other.Count)
        {
            return false;
        }
        foreach (var task in other)
        {
            if (Array.IndexOf(tasks, task) < 0)
            {
                return false;
            }
        }
        return true;
    }

    private void Clear()
    {
        for (var q = 0; q < _queues.Count; q++)
        {
            _offers[q].Clear();
        }
        _queues.Clear();
        _queueIndex.Clear();
        _moreDurable.Clear();
        _scratch.Clear();
    }
}
