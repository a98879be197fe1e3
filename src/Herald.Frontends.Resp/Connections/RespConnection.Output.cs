using System.Buffers;
using System.Threading.Channels;
using Herald.Protocols.Resp;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Herald.Frontends.Resp.Connections;

/// <summary>
/// The output side: the ordered output buffer every reply and message goes into, the lock that serializes writers
/// (this connection's read loop and any publisher), and the write loop that drains the buffer into the transport.
/// Lock order: this lock may be held while taking the channel hub's lock (subscribe), never the other way round; a
/// publisher holds no hub lock when it takes this one (see ChannelHub), so no cycle can form.
/// </summary>
internal sealed partial class RespConnection
{
    private readonly Lock _outputGate = new();
    private readonly RespOutputBuffer _output = new();
    private readonly RespWriter _writer;

    /// <summary>
    /// The write loop's doorbell: one pending ring at most (<see cref="_wakePending"/>), so waking it costs nothing
    /// while it is already due to run.
    /// </summary>
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(
        new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>
    /// Sends the replies a hold kept back once its write is durable; made once. It runs on a thread-pool thread (the
    /// log completes its flush tasks asynchronously) and sends from there, not through the write loop's doorbell.
    /// </summary>
    private readonly Action _sendReleasedReplies;

    /// <summary>The hold <see cref="_sendReleasedReplies"/> is registered on (once per hold). Transport owner only.</summary>
    private Task? _watchedHold;

    private bool _wakePending;

    /// <summary>Someone (the read loop or the write loop) is writing to the transport; under the output lock.</summary>
    private bool _sending;

    /// <summary>A caller found the transport busy; its owner rings the write loop when it lets go.</summary>
    private bool _sendAgain;

    /// <summary>Segments being sent; used by the transport's owner only (see <see cref="_sending"/>).</summary>
    private readonly List<OutputSegment> _sendSegments = [];
    private bool _outputCompleted;
    private bool _aborted;
    private TaskCompletionSource? _drained;
    private long _outputBytes;

    /// <summary>Bytes sent to the client so far.</summary>
    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    /// <summary>Unsent output (Redis's omem); thread-safe.</summary>
    public long BufferedOutputBytes
    {
        get
        {
            lock (_outputGate)
            {
                return _output.BufferedBytes;
            }
        }
    }

    /// <summary>Segments of unsent output (Redis's oll); thread-safe.</summary>
    public int BufferedOutputSegments
    {
        get
        {
            lock (_outputGate)
            {
                return _output.SegmentCount;
            }
        }
    }

    /// <summary>True after HELLO 3; the reply dialect. Read loop only (publishers read it under the output lock).</summary>
    public bool IsResp3 => _writer.Version == RespVersion.Resp3;

    public RespVersion Protocol
    {
        get => _writer.Version;
        set
        {
            lock (_outputGate)
            {
                _writer.Version = value;
            }
        }
    }

    /// <summary>
    /// Takes the output lock and hands out the writer for one whole reply; disposing the scope releases the lock.
    /// Never call into the broker's publish path while holding it.
    /// </summary>
    public Lock.Scope BeginReply(out RespWriter writer)
    {
        var scope = _outputGate.EnterScope();
        writer = _writer;
        return scope;
    }

    /// <summary>
    /// Like <see cref="BeginReply"/>, for a reply that must not reach the client before <paramref name="durable"/>
    /// completes (a stream write under fsync=always): see <see cref="HoldRepliesUntil"/>.
    /// </summary>
    public Lock.Scope BeginReplyWhenDurable(Task durable, out RespWriter writer)
    {
        HoldRepliesUntil(durable);
        return BeginReply(out writer);
    }

    /// <summary>
    /// Holds back everything written to the output from now on until <paramref name="durable"/> completes, so the
    /// reply about to be written acknowledges a write only once it is durable, without the connection waiting for it:
    /// the read loop goes on with the next pipelined XADD, and the write loop sends the held replies, in order, when
    /// the fsync that covers them is done. Should the write fail, the connection is closed instead, so nothing
    /// acknowledges it. Read loop only; call before writing the reply.
    /// </summary>
    public void HoldRepliesUntil(Task durable)
    {
        // Writes in one group commit share its task: the hold of the first already stops everything after it.
        if (durable.IsCompletedSuccessfully || ReferenceEquals(durable, _lastHold))
        {
            return;
        }
        _lastHold = durable;
        lock (_outputGate)
        {
            _output.HoldFromHere(durable);
        }
        _writesAwaitingDurability.Enqueue(durable);
    }

    /// <summary>The durable task of the newest hold; read loop only.</summary>
    private Task? _lastHold;

    /// <summary>Closes the connection now, from any thread, dropping unsent output (CLIENT KILL, output limits).</summary>
    public void Kill(string reason)
    {
        lock (_outputGate)
        {
            if (_aborted)
            {
                return;
            }
            _aborted = true;
            _output.Clear();
            _drained?.TrySetResult();
            _drained = null;
            WakeWriterLocked();
        }
        _transport.Abort(new ConnectionAbortedException(reason));
    }

    /// <summary>Rings the write loop's doorbell unless it already rang; under the output lock.</summary>
    private void WakeWriterLocked()
    {
        if (!_wakePending)
        {
            _wakePending = true;
            _wake.Writer.TryWrite(0);
        }
    }

    private bool IsOverReplyBudget()
    {
        lock (_outputGate)
        {
            return _output.BufferedBytes > _frontend.Options.ReplyBackpressureBytes;
        }
    }

    /// <summary>Waits until the client has read the output down to half the reply budget.</summary>
    private async Task WaitForOutputToDrainAsync()
    {
        Task drained;
        lock (_outputGate)
        {
            if (_aborted || _output.BufferedBytes <= _frontend.Options.ReplyBackpressureBytes / 2)
            {
                return;
            }
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
            WakeWriterLocked();
        }
        await drained;
    }

    /// <summary>No more output will be written; the write loop sends what is left and ends.</summary>
    private void CompleteOutput()
    {
        lock (_outputGate)
        {
            _outputCompleted = true;
            _drained?.TrySetResult();
            _drained = null;
            WakeWriterLocked();
        }
    }

    /// <summary>
    /// The write loop: sends output that the read loop did not send itself (pub/sub messages written by publishers,
    /// replies released by a completed hold, what arrived while the read loop was sending) whenever its doorbell rings.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        // Yield first, so the caller's read loop starts without waiting for this one to block.
        await Task.Yield();
        try
        {
            while (true)
            {
                lock (_outputGate)
                {
                    _wakePending = false;
                }
                var outcome = await SendPendingAsync();
                if (outcome == SendOutcome.Finished)
                {
                    return;
                }
                if (outcome != SendOutcome.Sent)
                {
                    await _wake.Reader.ReadAsync();
                }
            }
        }
        finally
        {
            lock (_outputGate)
            {
                _aborted = true;
                _output.Clear();
                _drained?.TrySetResult();
                _drained = null;
            }
        }
    }

    /// <summary>
    /// Read loop, after a read's commands have run (and a released hold): sends their replies from this thread when
    /// nobody else is sending, which saves the hand-off to the write loop (a thread switch per request for a client
    /// that sends one command at a time). When the write loop is busy, it sends them when it is done.
    /// </summary>
    private async ValueTask SendRepliesAsync()
    {
        while (await SendPendingAsync() == SendOutcome.Sent)
        {
            // Publishers may have added output while this thread was sending; send it too rather than hand it over.
        }
    }

    private enum SendOutcome
    {
        /// <summary>Bytes were sent; there may be more.</summary>
        Sent,

        /// <summary>Nothing could be sent now (nothing queued, or all of it behind a hold).</summary>
        Idle,

        /// <summary>Another caller is sending; it looks for more output when it is done.</summary>
        Busy,

        /// <summary>The output is over: the connection is closing or the transport is gone.</summary>
        Finished,
    }

    /// <summary>
    /// Detaches what may be sent now and writes it to the transport. One caller at a time owns the transport
    /// (<see cref="_sending"/>); the owner rings the write loop when it lets go with output still queued, so output
    /// written meanwhile by a publisher is never stranded.
    /// </summary>
    private async ValueTask<SendOutcome> SendPendingAsync()
    {
        var segments = _sendSegments;
        Task? hold;
        lock (_outputGate)
        {
            if (_sending)
            {
                _sendAgain = true;
                return SendOutcome.Busy;
            }
            if (_aborted)
            {
                return SendOutcome.Finished;
            }
            hold = _output.DetachTo(segments);
            if (segments.Count == 0 && hold is null)
            {
                return _outputCompleted ? SendOutcome.Finished : SendOutcome.Idle;
            }
            _sending = true;
        }
        var outcome = SendOutcome.Finished;
        try
        {
            if (hold is { IsFaulted: true } or { IsCanceled: true })
            {
                // The write the held replies acknowledge did not become durable: close rather than acknowledge it.
                _frontend.Logger.LogWarning(hold.Exception?.GetBaseException(),
                    "RESP connection {Id}: a write did not become durable; closing the connection without its reply", Id);
                Kill("write not durable");
                return outcome;
            }
            if (hold is not null && !ReferenceEquals(hold, _watchedHold))
            {
                _watchedHold = hold;
                hold.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_sendReleasedReplies);
            }
            if (segments.Count == 0)
            {
                outcome = SendOutcome.Idle;
                return outcome;
            }

            var transport = _transport.Transport.Output;
            long bytes = 0;
            foreach (var segment in segments)
            {
                transport.Write(segment.Span);
                bytes += segment.Length;
            }
            RespOutputBuffer.Recycle(segments);
            var flush = await transport.FlushAsync();
            Interlocked.Add(ref _outputBytes, bytes);
            lock (_outputGate)
            {
                _output.Sent(bytes);
                if (_drained is not null && _output.BufferedBytes <= _frontend.Options.ReplyBackpressureBytes / 2)
                {
                    _drained.TrySetResult();
                    _drained = null;
                }
            }
            outcome = flush.IsCompleted || flush.IsCanceled ? SendOutcome.Finished : SendOutcome.Sent;
            return outcome;
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            // The socket is gone; the read loop finds out on its own.
            return outcome;
        }
        catch (Exception e)
        {
            _frontend.Logger.LogError(e, "RESP connection {Id}: writing output failed; closing it", Id);
            _transport.Abort(new ConnectionAbortedException("output failed", e));
            return outcome;
        }
        finally
        {
            RespOutputBuffer.Recycle(segments);
            lock (_outputGate)
            {
                _sending = false;
                if (outcome == SendOutcome.Finished)
                {
                    _aborted = true;
                    _output.Clear();
                    _drained?.TrySetResult();
                    _drained = null;
                }
                if (_sendAgain || outcome == SendOutcome.Finished)
                {
                    // Someone found the transport busy (or the write loop must see that the output is over).
                    _sendAgain = false;
                    WakeWriterLocked();
                }
            }
        }
    }
}
