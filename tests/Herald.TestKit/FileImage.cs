namespace Herald.TestKit;

/// <summary>
/// The bytes of one in-memory file: a growable array plus a length. Used by <see cref="CrashableStorageDevice"/> for
/// both the current image (what reads see) and the durable image (what survives power loss). Bytes past
/// <see cref="Length"/> are kept zero, so extending a file (a write past the end, or SetLength) reads back zeros as
/// on a real file system. Not thread-safe; the device's lock guards every instance.
/// </summary>
internal sealed class FileImage
{
    private byte[] _bytes = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

    public void Write(long position, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return; // pwrite of zero bytes does not extend the file
        }
        var end = CheckedEnd(position, data.Length);
        EnsureCapacity(end);
        data.CopyTo(_bytes.AsSpan((int)position));
        Length = Math.Max(Length, end);
    }

    /// <summary>Fills <c>[position, position + count)</c> with <paramref name="value"/>, extending the file if needed.</summary>
    public void Fill(long position, int count, byte value)
    {
        if (count == 0)
        {
            return;
        }
        var end = CheckedEnd(position, count);
        EnsureCapacity(end);
        _bytes.AsSpan((int)position, count).Fill(value);
        Length = Math.Max(Length, end);
    }

    public void SetLength(long length)
    {
        var newLength = CheckedEnd(length, 0);
        if (newLength < Length)
        {
            // Keep the "zero past the end" invariant so a later extension does not resurrect truncated bytes.
            _bytes.AsSpan(newLength, Length - newLength).Clear();
        }
        else
        {
            EnsureCapacity(newLength);
        }
        Length = newLength;
    }

    public int Read(long position, Span<byte> destination)
    {
        if (position >= Length)
        {
            return 0;
        }
        var count = (int)Math.Min(destination.Length, Length - position);
        _bytes.AsSpan((int)position, count).CopyTo(destination);
        return count;
    }

    public void FlipBit(long position, int bit) => _bytes[position] ^= (byte)(1 << bit);

    public void CopyFrom(FileImage source)
    {
        EnsureCapacity(source.Length);
        source.Span.CopyTo(_bytes);
        if (Length > source.Length)
        {
            _bytes.AsSpan(source.Length, Length - source.Length).Clear();
        }
        Length = source.Length;
    }

    public FileImage Clone()
    {
        var copy = new FileImage();
        copy.CopyFrom(this);
        return copy;
    }

    public byte[] ToArray() => Span.ToArray();

    private static int CheckedEnd(long position, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        var end = position + count;
        if (end > Array.MaxLength)
        {
            // EFBIG: the in-memory device keeps each file in one array.
            throw new IOException($"file would grow to {end} bytes, past the in-memory device's limit of {Array.MaxLength}");
        }
        return (int)end;
    }

    private void EnsureCapacity(int length)
    {
        if (length <= _bytes.Length)
        {
            return;
        }
        var capacity = Math.Max(length, (int)Math.Min(Array.MaxLength, Math.Max(4096L, _bytes.Length * 2L)));
        Array.Resize(ref _bytes, capacity);
    }
}
