using System.Runtime.InteropServices;

namespace Herald.Server.Hosting.Transport.EventLoop;

/// <summary>
/// The libc calls the event-loop transport makes: epoll, an eventfd to wake a loop, and non-blocking recv/send on a
/// socket's descriptor. Linux on x86-64 only (<see cref="IsSupported"/>): there <c>struct epoll_event</c> is packed
/// (12 bytes), on other architectures it is not, and Herald runs those on Kestrel's transport instead.
/// </summary>
internal static unsafe partial class LinuxNative
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;

    private const int Cloexec = 0x80000; // EPOLL_CLOEXEC, EFD_CLOEXEC
    private const int EfdNonBlock = 0x800;
    private const int MsgNoSignal = 0x4000;

    public const int ErrnoInterrupted = 4; // EINTR
    public const int ErrnoWouldBlock = 11; // EAGAIN, EWOULDBLOCK

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary><c>struct epoll_event</c> as x86-64 lays it out: packed, so <see cref="Data"/> is at offset 4.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary><c>struct iovec</c>, for gathering sends.</summary>
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    public static int CreateEpoll() => Check(EpollCreate1(Cloexec), "epoll_create1");

    public static int CreateEventFd() => Check(EventFd(0, Cloexec | EfdNonBlock), "eventfd");

    public static void EpollAdd(int epoll, int fd, uint events, ulong data)
    {
        var item = new EpollEvent { Events = events, Data = data };
        Check(EpollCtl(epoll, EpollCtlAdd, fd, &item), "epoll_ctl(ADD)");
    }

    /// <summary>Removes <paramref name="fd"/> from the set; false if it was not in it (already closed).</summary>
    public static bool EpollDelete(int epoll, int fd)
    {
        var unused = default(EpollEvent);
        return EpollCtl(epoll, EpollCtlDel, fd, &unused) == 0;
    }

    /// <summary>Waits for events; returns their count, or -errno (EINTR is returned, not thrown).</summary>
    public static int EpollWait(int epoll, EpollEvent* events, int capacity, int timeoutMilliseconds)
    {
        var count = EpollWaitNative(epoll, events, capacity, timeoutMilliseconds);
        return count >= 0 ? count : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Adds one to an eventfd's counter, waking whoever polls it.</summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = Write(eventFd, &one, sizeof(ulong)); // EAGAIN only if the counter is near 2^64: it is already signalled
    }

    /// <summary>Resets an eventfd's counter (non-blocking: nothing to read is fine).</summary>
    public static void Drain(int eventFd)
    {
        ulong count;
        _ = Read(eventFd, &count, sizeof(ulong));
    }

    /// <summary>recv on a non-blocking socket: bytes read, 0 at end of stream, or -errno.</summary>
    public static int Receive(nint socket, byte* buffer, int length)
    {
        var received = Recv(socket, buffer, length, 0);
        return received >= 0 ? (int)received : -Marshal.GetLastPInvokeError();
    }

    /// <summary>send on a non-blocking socket (no SIGPIPE): bytes taken, or -errno.</summary>
    public static int Send(nint socket, byte* buffer, int length)
    {
        var sent = SendNative(socket, buffer, length, MsgNoSignal);
        return sent >= 0 ? (int)sent : -Marshal.GetLastPInvokeError();
    }

    /// <summary>writev on a non-blocking socket: bytes taken, or -errno. .NET ignores SIGPIPE process-wide.</summary>
    public static int SendGathered(nint socket, IoVector* vectors, int count)
    {
        var sent = Writev(socket, vectors, count);
        return sent >= 0 ? (int)sent : -Marshal.GetLastPInvokeError();
    }

    public static void Close(int fd) => _ = CloseNative(fd);

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int fd, EpollEvent* item);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWaitNative(int epoll, EpollEvent* events, int capacity, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nint length);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nint length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(nint socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(nint socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    private static partial nint Writev(nint socket, IoVector* vectors, int count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);
}
