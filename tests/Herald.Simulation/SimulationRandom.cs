namespace Herald.Simulation;

/// <summary>
/// The simulation's random source: SplitMix64 (Steele, Lea and Flood, 2014), chosen over <see cref="Random"/> so a
/// seed replays the same run on every .NET version (reliability.md §2.5, "IRandom"). Every call consumes exactly one
/// 64-bit draw whatever its bounds, so a draw whose bounds depend on the log's state does not shift the draws after
/// it. Owned by one simulation step; not thread-safe.
/// </summary>
internal sealed class SimulationRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A well-mixed seed for stream <paramref name="stream"/> of <paramref name="seed"/> (e.g. one per operation).</summary>
    public static ulong Derive(long seed, long stream)
    {
        var mixer = new SimulationRandom(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ (ulong)stream);
        mixer.NextUInt64();
        return mixer.NextUInt64();
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>); the modulo bias is below 2^-40 for the bounds used here.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public long NextInt64(long min, long maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxExclusive, min);
        return min + (long)(NextUInt64() % (ulong)(maxExclusive - min));
    }

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>A non-negative seed for APIs that take an <see cref="int"/> seed (the crash device).</summary>
    public int NextSeed() => (int)(NextUInt64() >> 33);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
}
