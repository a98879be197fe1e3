using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Herald.Bench.Amqp;

/// <summary>
/// Publisher confirms handled asynchronously with at most <see cref="Size"/> messages awaiting their confirm, the
/// way a high-throughput publisher uses them (RabbitMQ's tutorial 7, "handling publisher confirms asynchronously",
/// with a bound): the publisher takes a slot before each basic.publish and basic.ack / basic.nack (single or
/// multiple) give slots back. The client's own confirmation tracking is off, so no header is added to the messages
/// and no task is allocated per message.
/// Delivery tags are 1, 2, 3, … in publish order on a confirm-mode channel; the tags awaiting a confirm always lie in
/// [<c>_oldest</c>, <c>_oldest + Size</c>), so a ring of flags indexed by tag modulo <see cref="Size"/> records
/// which of them are settled, and slots are released when the oldest outstanding tag is settled (in order).
/// </summary>
internal sealed class ConfirmWindow : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly bool[] _settled;
    private readonly Lock _gate = new();
    private ulong _oldest = 1;
    private ulong _published;
    private long _acked;
    private long _nacked;
    private TaskCompletionSource? _drained;

    public ConfirmWindow(IChannel channel, int size)
    {
        Size = size;
        _slots = new SemaphoreSlim(size, size);
        _settled = new bool[size];
        channel.BasicAcksAsync += (_, e) => Settle(e.DeliveryTag, e.Multiple, acked: true);
        channel.BasicNacksAsync += (_, e) => Settle(e.DeliveryTag, e.Multiple, acked: false);
    }

    public int Size { get; }

    public long Acked => Interlocked.Read(ref _acked);

    public long Nacked => Interlocked.Read(ref _nacked);

    /// <summary>Waits for a free slot; then call <see cref="Publishing"/> and send the basic.publish.</summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>
    /// Records one basic.publish about to be sent on the channel (its delivery tag is the count so far). Called before
    /// sending, so the count already includes the message when its confirm arrives.
    /// </summary>
    public void Publishing()
    {
        lock (_gate)
        {
            _published++;
        }
    }

    /// <summary>Completes once every message published so far has been acked or nacked.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            if (_oldest > _published)
            {
                return Task.CompletedTask;
            }
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    public void Dispose() => _slots.Dispose();

    private Task Settle(ulong deliveryTag, bool multiple, bool acked)
    {
        var released = 0;
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            var first = multiple ? _oldest : deliveryTag;
            for (var tag = first; tag <= deliveryTag; tag++)
            {
                if (tag >= _oldest && !_settled[tag % (ulong)Size])
                {
                    _settled[tag % (ulong)Size] = true;
                    if (acked)
                    {
                        _acked++;
                    }
                    else
                    {
                        _nacked++;
                    }
                }
            }
            while (_oldest <= _published && _settled[_oldest % (ulong)Size])
            {
                _settled[_oldest % (ulong)Size] = false;
                _oldest++;
                released++;
            }
            if (_oldest > _published && _drained is not null)
            {
                drained = _drained;
                _drained = null;
            }
        }
        if (released > 0)
        {
            _slots.Release(released);
        }
        drained?.TrySetResult();
        return Task.CompletedTask;
    }
}
