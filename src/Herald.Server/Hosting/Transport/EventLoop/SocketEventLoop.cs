using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Herald.Primitives.Threading;
using static Herald.Server.Hosting.Transport.EventLoop.LinuxNative;

namespace Herald.Server.Hosting.Transport.EventLoop;

/// <summary>
/// One thread that waits on an epoll set of sockets and, when one is readable, receives from it and runs its
/// connection's handler right there (Redis's event loop). Compared with .NET's socket engine, which hands every
/// readiness to a thread-pool thread that then receives until the socket says EAGAIN, a small request costs one
/// receive and one send and no thread switch; an epoll_wait is shared by every socket that became ready together.
/// <para>
/// Sockets are registered edge-triggered for input and output. A socket is read until a short read (drained) or
/// until it has had its budget for this turn; then it goes on <see cref="_readAgain"/> so one busy
/// client cannot starve the others (Redis reads 16 KiB per event for the same reason). Other threads hand the loop
/// work with <see cref="Post"/> (an eventfd wakes it): a connection resuming after back-pressure, a closed one
/// leaving the set.
/// </para>
/// The handler code runs on this thread, so it must never block it; Herald's front ends await instead.
/// </summary>
internal sealed unsafe class SocketEventLoop : IDisposable
{
    private const int MaxEventsPerWait = 256;

    private const ulong WakeData = 0;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<EventLoopSocketConnection> _readAgain = [];
    private readonly List<EventLoopSocketConnection> _readingNow = [];
    private int _wakeRequested;
    private volatile bool _stopping;
    private volatile bool _stopped;

    public SocketEventLoop(string name)
    {
        _epoll = CreateEpoll();
        _wakeFd = CreateEventFd();
        EpollAdd(_epoll, _wakeFd, EpollIn, WakeData);
        // One receive buffer per loop: the loop receives for one socket at a time and copies what it got into that
        // connection's input pipe, so an idle connection holds no buffer at all.
        ReceiveBuffer = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The loop's receive buffer (pinned); loop thread only.</summary>
    internal byte[] ReceiveBuffer { get; }

    /// <summary>True on the loop's own thread.</summary>
    internal bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Adds a connection's socket to the set. Its events reach <see cref="EventLoopSocketConnection.OnEvents"/>.</summary>
    public void Add(EventLoopSocketConnection connection, GCHandle handle) =>
        EpollAdd(_epoll, connection.Descriptor, EpollIn | EpollOut | EpollRdHup | EpollEdgeTriggered,
            (ulong)GCHandle.ToIntPtr(handle));

    /// <summary>
    /// Removes a socket from the set before it is closed; its handle is freed on the loop thread after any events
    /// already taken for it, so it is never used after being freed. Any thread.
    /// </summary>
    public void Remove(EventLoopSocketConnection connection, GCHandle handle, Action onLoop)
    {
        if (!_stopped)
        {
            EpollDelete(_epoll, connection.Descriptor);
        }
        Post(() =>
        {
            _readAgain.Remove(connection);
            onLoop();
            handle.Free();
        });
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread, after the events it is handling now. Any thread.</summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        if (_stopped)
        {
            RunPosted(); // the loop is gone (the node is stopping): nobody else will
        }
        else if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            Signal(_wakeFd);
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var work))
        {
            work();
        }
    }

    /// <summary>Receives for <paramref name="connection"/> again next turn (it used its budget, or resumed). Loop thread.</summary>
    internal void ReadAgain(EventLoopSocketConnection connection)
    {
        if (!_readAgain.Contains(connection))
        {
            _readAgain.Add(connection);
        }
    }

    private void Run()
    {
        var events = (EpollEvent*)NativeMemory.Alloc(MaxEventsPerWait, (nuint)sizeof(EpollEvent));
        SoonWork.BecomeEventLoop();
        try
        {
            while (!_stopping)
            {
                // Connections with bytes left from last turn must not wait for an event that may never come
                // (edge-triggered: no new edge until new data arrives).
                var count = EpollWait(_epoll, events, MaxEventsPerWait, _readAgain.Count > 0 ? 0 : -1);
                if (count < 0)
                {
                    if (-count == ErrnoInterrupted)
                    {
                        continue;
                    }
                    throw new IOException($"epoll_wait failed: errno {-count}");
                }
                var woken = false;
                for (var i = 0; i < count; i++)
                {
                    var ready = events[i];
                    if (ready.Data == WakeData)
                    {
                        woken = true;
                        continue;
                    }
                    var connection = (EventLoopSocketConnection)GCHandle.FromIntPtr((nint)ready.Data).Target!;
                    if (connection.OnEvents(ready.Events))
                    {
                        ReadAgain(connection);
                    }
                }
                ReceiveLeftovers();
                if (woken)
                {
                    Drain(_wakeFd);
                    // Reset before draining: a Post after this point signals again, so none is left unseen.
                    Volatile.Write(ref _wakeRequested, 0);
                    RunPosted();
                }
                // Flushes and ack records the handlers scheduled this turn: one each for all it produced.
                SoonWork.RunScheduled();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>Gives each connection that had more to read than its budget its next turn.</summary>
    private void ReceiveLeftovers()
    {
        if (_readAgain.Count == 0)
        {
            return;
        }
        _readingNow.AddRange(_readAgain);
        _readAgain.Clear();
        foreach (var connection in _readingNow)
        {
            if (connection.ReceiveAvailable())
            {
                ReadAgain(connection);
            }
        }
        _readingNow.Clear();
    }

    /// <summary>Stops the thread (after the connections are gone) and closes the epoll set.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        Post(static () => { });
        _thread.Join();
        // Connections closed while the loop stopped still have their end of input and handle release to run.
        _stopped = true;
        RunPosted();
        Close(_wakeFd);
        Close(_epoll);
    }
}
