using System.Globalization;

namespace Herald.Broker.Resources;

/// <summary>
/// Sizes as RabbitMQ's configuration writes them: a whole number of bytes, optionally followed by a unit.
/// <c>k</c>, <c>K</c>, <c>KiB</c>, <c>M</c>, <c>MiB</c>, <c>G</c>, <c>GiB</c>, <c>T</c>, <c>TiB</c> are powers of 1024;
/// <c>kB</c>, <c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c> powers of 1000 (<c>50MB</c> is 50,000,000 bytes).
/// </summary>
public static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("kiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("kB", 1_000), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("k", 1L << 10), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var number = text.AsSpan().Trim();
        var factor = 1L;
        foreach (var (unit, unitFactor) in Units)
        {
            if (number.EndsWith(unit, StringComparison.Ordinal))
            {
                number = number[..^unit.Length].TrimEnd();
                factor = unitFactor;
                break;
            }
        }
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > long.MaxValue / factor)
        {
            return false;
        }
        bytes = count * factor;
        return true;
    }

    /// <summary>A rounded form for log lines: <c>409.6 MB</c>, <c>12.0 GB</c>.</summary>
    public static string Approximate(long bytes) =>
        bytes >= 1_000_000_000 ? (bytes / 1e9).ToString("0.0 GB", CultureInfo.InvariantCulture)
        : bytes >= 1_000_000 ? (bytes / 1e6).ToString("0.0 MB", CultureInfo.InvariantCulture)
        : bytes >= 1_000 ? (bytes / 1e3).ToString("0.0 kB", CultureInfo.InvariantCulture)
        : bytes.ToString(CultureInfo.InvariantCulture) + " B";

    /// <summary>The shortest exact form: <c>50MB</c>, <c>2GiB</c>, or plain bytes.</summary>
    public static string Format(long bytes)
    {
        if (bytes > 0)
        {
            foreach (var (unit, factor) in Units)
            {
                if (unit.Length >= 2 && bytes % factor == 0 && bytes / factor < 1000 && unit is not ("kiB" or "KB"))
                {
                    return bytes / factor + unit;
                }
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
