using System.Buffers;

namespace Herald.Protocols.Resp;

/// <summary>
/// The arguments of one request (Redis's <c>argv</c>), the first being the command name. Filled by the
/// <see cref="RespReader"/> that owns it and valid until that reader's next <see cref="RespReader.TryRead"/>; the
/// spans and memory it hands out point into its own storage, so a caller that keeps an argument past that point
/// copies it. One per connection, reused for every request; not thread-safe.
/// <para>
/// Storage: every argument's bytes back to back in one array, plus a table of (start, length) pairs. Arrays up to
/// 1 MiB come from <see cref="ArrayPool{T}.Shared"/>; a larger one (a big bulk string) is allocated and left to the
/// garbage collector, so the shared pool never pins hundreds of megabytes. After a request larger than
/// <see cref="RetainedBytes"/> the storage shrinks back, so one big request does not cost a connection memory for
/// the rest of its life.
/// </para>
/// </summary>
public sealed class RespRequest : IDisposable
{
    /// <summary>Argument bytes a request keeps between requests; more are released when the next request starts.</summary>
    public const int RetainedBytes = 64 * 1024;

    private const int RetainedArguments = 1024;
    private const int InitialBytes = 512;
    private const int InitialArguments = 8;
    private const int LargestPooledArray = 1024 * 1024;

    private byte[] _data = [];
    private int _length;
    private int[] _ranges = new int[InitialArguments * 2];
    private int _openStart = -1;

    /// <summary>Number of arguments, the command name included.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of all arguments together.</summary>
    public int TotalBytes => _length;

    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return _data.AsSpan(_ranges[index * 2], _ranges[(index * 2) + 1]);
        }
    }

    /// <summary>The argument as memory; valid as long as its span would be.</summary>
    public ReadOnlyMemory<byte> GetMemory(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _data.AsMemory(_ranges[index * 2], _ranges[(index * 2) + 1]);
    }

    public void Dispose()
    {
        Release(_data);
        _data = [];
        _length = 0;
        Count = 0;
    }

    /// <summary>Empties the request for the next one, shrinking storage a big request grew.</summary>
    internal void Reset()
    {
        if (_data.Length > RetainedBytes)
        {
            Release(_data);
            _data = [];
        }
        if (_ranges.Length > RetainedArguments * 2)
        {
            _ranges = new int[InitialArguments * 2];
        }
        _length = 0;
        _openStart = -1;
        Count = 0;
    }

    /// <summary>Adds a whole argument.</summary>
    internal void Add(ReadOnlySpan<byte> argument)
    {
        BeginArgument();
        Append(argument);
        EndArgument();
    }

    /// <summary>Starts an argument whose bytes arrive through <see cref="Append"/> (a bulk string split across reads).</summary>
    internal void BeginArgument() => _openStart = _length;

    internal void Append(ReadOnlySpan<byte> bytes)
    {
        EnsureCapacity(bytes.Length);
        bytes.CopyTo(_data.AsSpan(_length));
        _length += bytes.Length;
    }

    internal void Append(in ReadOnlySequence<byte> bytes)
    {
        EnsureCapacity(checked((int)bytes.Length));
        bytes.CopyTo(_data.AsSpan(_length));
        _length += (int)bytes.Length;
    }

    internal void Append(byte value)
    {
        EnsureCapacity(1);
        _data[_length++] = value;
    }

    internal void EndArgument()
    {
        if (Count * 2 == _ranges.Length)
        {
            Array.Resize(ref _ranges, _ranges.Length * 2);
        }
        _ranges[Count * 2] = _openStart;
        _ranges[(Count * 2) + 1] = _length - _openStart;
        Count++;
        _openStart = -1;
    }

    private void EnsureCapacity(int more)
    {
        var needed = (long)_length + more;
        if (needed <= _data.Length)
        {
            return;
        }
        // Doubling keeps the copies of a bulk string that arrives in many reads linear in its size.
        var size = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(InitialBytes, (long)_data.Length * 2)));
        var grown = size <= LargestPooledArray ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        _data.AsSpan(0, _length).CopyTo(grown);
        Release(_data);
        _data = grown;
    }

    private static void Release(byte[] data)
    {
        // Only arrays the pool could have handed out go back to it (see the summary).
        if (data.Length is > 0 and <= LargestPooledArray)
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }
}
