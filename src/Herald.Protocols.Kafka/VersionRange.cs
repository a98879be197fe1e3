using System.Globalization;

namespace Herald.Protocols.Kafka;

/// <summary>
/// An inclusive range of API versions as the Kafka schemas spell it: <c>"0-4"</c>, <c>"3+"</c> (open-ended,
/// <see cref="Highest"/> = <see cref="short.MaxValue"/>), <c>"2"</c> or <c>"none"</c>. Open-ended ranges matter for
/// flexible versions: a request newer than this codec knows is still flexible if its range is <c>"3+"</c>, which is
/// how a broker can parse the header of an ApiVersions request of any version.
/// </summary>
public readonly record struct VersionRange(short Lowest, short Highest)
{
    public static VersionRange None { get; } = new(0, -1);

    public bool IsNone => Highest < Lowest;

    public bool Contains(short version) => version >= Lowest && version <= Highest;

    public static VersionRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text == "none")
        {
            return None;
        }
        if (text.EndsWith('+'))
        {
            return new VersionRange(short.Parse(text[..^1], CultureInfo.InvariantCulture), short.MaxValue);
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new VersionRange(
                short.Parse(text[..dash], CultureInfo.InvariantCulture),
                short.Parse(text[(dash + 1)..], CultureInfo.InvariantCulture));
        }
        var single = short.Parse(text, CultureInfo.InvariantCulture);
        return new VersionRange(single, single);
    }

    public override string ToString() =>
        IsNone ? "none"
        : Highest == short.MaxValue ? $"{Lowest}+"
        : Lowest == Highest ? $"{Lowest}"
        : $"{Lowest}-{Highest}";
}
