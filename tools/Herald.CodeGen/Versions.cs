using System.Globalization;

namespace Herald.CodeGen;

/// <summary>
/// An inclusive version range as the schemas write it ("0+", "3-5", "2", "none"). <see cref="Highest"/> is
/// <see cref="short.MaxValue"/> for open-ended ranges. The generator's own copy of the idea behind the runtime
/// <c>VersionRange</c>: the tool must not depend on the code it generates.
/// </summary>
public readonly record struct Versions(short Lowest, short Highest)
{
    public static Versions None { get; } = new(0, -1);

    public static Versions All { get; } = new(0, short.MaxValue);

    public bool IsEmpty => Highest < Lowest;

    public bool Contains(short version) => version >= Lowest && version <= Highest;

    public Versions Intersect(Versions other)
    {
        var result = new Versions(Math.Max(Lowest, other.Lowest), Math.Min(Highest, other.Highest));
        return result.IsEmpty ? None : result;
    }

    /// <summary>True when every version of <paramref name="other"/> is in this range.</summary>
    public bool Covers(Versions other) => other.IsEmpty || (Lowest <= other.Lowest && Highest >= other.Highest);

    public static Versions Parse(string? text, Versions fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        text = text.Trim();
        if (text == "none")
        {
            return None;
        }
        if (text.EndsWith('+'))
        {
            return new Versions(ParseShort(text[..^1]), short.MaxValue);
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new Versions(ParseShort(text[..dash]), ParseShort(text[(dash + 1)..]));
        }
        var single = ParseShort(text);
        return new Versions(single, single);
    }

    /// <summary>
    /// A C# condition on <c>version</c> that is true exactly for the versions of this range, knowing the code only
    /// runs for versions in <paramref name="context"/>: "true", "false", or comparisons.
    /// </summary>
    public string Condition(Versions context)
    {
        var inside = Intersect(context);
        if (inside.IsEmpty)
        {
            return "false";
        }
        if (Covers(context))
        {
            return "true";
        }
        var parts = new List<string>(2);
        if (inside.Lowest > context.Lowest)
        {
            parts.Add($"version >= {inside.Lowest}");
        }
        if (inside.Highest < context.Highest)
        {
            parts.Add($"version <= {inside.Highest}");
        }
        return string.Join(" && ", parts);
    }

    /// <summary>The condition for the versions of <paramref name="context"/> outside this range.</summary>
    public string NegatedCondition(Versions context)
    {
        var inside = Intersect(context);
        if (inside.IsEmpty)
        {
            return "true";
        }
        if (Covers(context))
        {
            return "false";
        }
        var parts = new List<string>(2);
        if (inside.Lowest > context.Lowest)
        {
            parts.Add($"version < {inside.Lowest}");
        }
        if (inside.Highest < context.Highest)
        {
            parts.Add($"version > {inside.Highest}");
        }
        return parts.Count == 1 ? parts[0] : $"({string.Join(" || ", parts)})";
    }

    public override string ToString() =>
        IsEmpty ? "none"
        : Highest == short.MaxValue ? $"{Lowest}+"
        : Lowest == Highest ? $"{Lowest}"
        : $"{Lowest}-{Highest}";

    private static short ParseShort(string text) => short.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
