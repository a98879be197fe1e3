using System.Globalization;

namespace Herald.Storage.Segments;

/// <summary>
/// File names of a segment: its base offset as 20 zero-padded digits (so names sort by offset, as Kafka's do) and
/// one suffix per file. <c>.cleaned</c> and <c>.tmp</c> files are leftovers of interrupted rewrites and are deleted
/// when a log opens.
/// </summary>
internal static class SegmentFileNames
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string CleanedSuffix = ".cleaned";
    public const string TemporarySuffix = ".tmp";

    public static string BaseName(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static string LogFile(string directory, long baseOffset) =>
        Path.Combine(directory, BaseName(baseOffset) + LogSuffix);

    public static string IndexFile(string directory, long baseOffset) =>
        Path.Combine(directory, BaseName(baseOffset) + IndexSuffix);

    public static string TimeIndexFile(string directory, long baseOffset) =>
        Path.Combine(directory, BaseName(baseOffset) + TimeIndexSuffix);

    /// <summary>Parses <c>NNNNNNNNNNNNNNNNNNNN.log</c>; false for any other name.</summary>
    public static bool TryParseLogFile(string fileName, out long baseOffset)
    {
        baseOffset = 0;
        return fileName.Length == 20 + LogSuffix.Length && fileName.EndsWith(LogSuffix, StringComparison.Ordinal) &&
               long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    public static bool IsLeftover(string fileName) =>
        fileName.EndsWith(CleanedSuffix, StringComparison.Ordinal) ||
        fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);
}
