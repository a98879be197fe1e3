using System.Globalization;

namespace Herald.Bench.Common;

/// <summary>Number formats shared by the reports: a dash for a figure that was not measured (NaN).</summary>
internal static class Format
{
    public static string Number(double value) => double.IsNaN(value) ? "—"
        : value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("F1", CultureInfo.InvariantCulture);

    public static string Percent(double ratio) => double.IsNaN(ratio) ? "—"
        : (ratio * 100).ToString(ratio < 0.1 ? "F1" : "F0", CultureInfo.InvariantCulture) + "%";

    public static string Ms(double ms) => double.IsNaN(ms) ? "—"
        : ms < 1 ? ms.ToString("F3", CultureInfo.InvariantCulture) : ms.ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>Two decimals: CPU microseconds per record and similar small figures.</summary>
    public static string Fixed2(double value) => double.IsNaN(value) ? "—" : value.ToString("F2", CultureInfo.InvariantCulture);
}
