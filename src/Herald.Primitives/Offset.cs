namespace Herald.Primitives;

/// <summary>
/// A position in a log: the index of a record, counted from the log's creation. Offsets only grow; the first
/// record ever appended to a log has offset 0. Kept as a value type so a file position or a count can never be
/// passed where an offset is meant (Redpanda's <c>named_type</c>).
/// </summary>
public readonly record struct Offset(long Value) : IComparable<Offset>
{
    public static readonly Offset Zero = new(0);

    public int CompareTo(Offset other) => Value.CompareTo(other.Value);

    public Offset Next => new(Value + 1);

    public static bool operator <(Offset left, Offset right) => left.Value < right.Value;
    public static bool operator >(Offset left, Offset right) => left.Value > right.Value;
    public static bool operator <=(Offset left, Offset right) => left.Value <= right.Value;
    public static bool operator >=(Offset left, Offset right) => left.Value >= right.Value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
