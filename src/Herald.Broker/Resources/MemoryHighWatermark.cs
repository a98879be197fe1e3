using System.Globalization;

namespace Herald.Broker.Resources;

/// <summary>
/// When the memory alarm goes off (RabbitMQ's <c>vm_memory_high_watermark</c>): either a fraction of the memory
/// available to the process (<c>relative</c>, RabbitMQ's default 0.4) or a number of bytes (<c>absolute</c>). Text
/// form: a decimal fraction such as <c>0.4</c>, or a size such as <c>2GB</c>, <c>512MiB</c>, <c>1073741824</c>.
/// </summary>
public sealed record MemoryHighWatermark
{
    private MemoryHighWatermark(double? fraction, long? bytes)
    {
        Fraction = fraction;
        Bytes = bytes;
    }

    /// <summary>RabbitMQ's default: 40% of the memory available to the process.</summary>
    public static MemoryHighWatermark Default { get; } = Relative(0.4);

    /// <summary>The fraction of available memory, for a relative watermark.</summary>
    public double? Fraction { get; }

    /// <summary>The limit in bytes, for an absolute watermark.</summary>
    public long? Bytes { get; }

    public static MemoryHighWatermark Relative(double fraction)
    {
        // Above 1 is allowed (RabbitMQ warns but accepts it): the OS may swap or kill the process first.
        if (!double.IsFinite(fraction) || fraction < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction must be a finite number >= 0");
        }
        return new MemoryHighWatermark(fraction, null);
    }

    public static MemoryHighWatermark Absolute(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return new MemoryHighWatermark(null, bytes);
    }

    /// <summary>The limit in bytes on a machine (or container) with <paramref name="availableBytes"/> of memory.</summary>
    public long LimitBytes(long availableBytes) => Bytes ?? (long)(Fraction!.Value * availableBytes);

    /// <summary>A decimal with a point (<c>0.4</c>) is relative; anything else must be a size.</summary>
    public static bool TryParse(string text, out MemoryHighWatermark watermark)
    {
        watermark = Default;
        var trimmed = text.Trim();
        if (trimmed.Contains('.', StringComparison.Ordinal))
        {
            if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fraction) && double.IsFinite(fraction))
            {
                watermark = Relative(fraction);
                return true;
            }
            return false;
        }
        if (ByteSize.TryParse(trimmed, out var bytes))
        {
            watermark = Absolute(bytes);
            return true;
        }
        return false;
    }

    public override string ToString() =>
        Bytes is { } bytes ? ByteSize.Format(bytes) : Fraction!.Value.ToString("0.0##", CultureInfo.InvariantCulture);
}
