using System.Globalization;
using System.Text;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Storage.CrashAppender;

/// <summary>
/// What the crash appender writes and how it reports it, shared by the appender and the crash test (the file is
/// linked into both). Every record has a unique key, <c>s{seed}-w{writer}-{sequence}</c>, and a value derived from
/// the key alone (100 to 1000 bytes), so the test can check any stored record without having seen it acknowledged.
/// After an append is durable the appender prints one line per record: <c>ack &lt;offset&gt; &lt;key&gt;
/// &lt;crc32c of the value, 8 hex digits&gt;</c>. Stateless.
/// </summary>
internal static class CrashRecord
{
    public const string LogName = "crash-test";

    public const string ReadyLine = "ready";

    public const int WriterCount = 4;

    /// <summary>
    /// fsync on every append (group commit), and 64 KiB segments so a run of a second rolls several times. No
    /// retention: the test reads every record ever acknowledged.
    /// </summary>
    public static LogOptions LogOptions { get; } = LogOptions.Default with
    {
        SegmentSizeBytes = 64 * 1024,
        Fsync = FsyncPolicy.Always,
        RetentionTime = null,
    };

    public static string Key(int seed, int writer, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"s{seed}-w{writer}-{sequence}");

    /// <summary>The key, a colon, then a filler whose length and letters follow from the key (FNV-1a, not the
    /// per-process randomized string hash, so both processes agree).</summary>
    public static byte[] Value(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        var length = 100 + (int)(hash % 901);
        var value = new byte[length];
        var prefix = Encoding.ASCII.GetBytes(key + ":");
        prefix.AsSpan(0, Math.Min(prefix.Length, length)).CopyTo(value);
        for (var i = prefix.Length; i < length; i++)
        {
            value[i] = (byte)('a' + ((hash >> 8) + (uint)i) % 26);
        }
        return value;
    }

    public static string AckLine(long offset, string key, byte[] value) =>
        string.Create(CultureInfo.InvariantCulture, $"ack {offset} {key} {Crc32C.Compute(value):x8}");

    /// <summary>
    /// Parses an ack line. A line cut short by the kill (the last one may be) does not parse: every field must be
    /// present and the checksum exactly 8 hex digits.
    /// </summary>
    public static bool TryParseAck(string line, out long offset, out string key, out uint crc)
    {
        offset = 0;
        key = "";
        crc = 0;
        var parts = line.Split(' ');
        return parts.Length == 4 && parts[0] == "ack" &&
               long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out offset) &&
               (key = parts[2]).StartsWith('s') && parts[3].Length == 8 &&
               uint.TryParse(parts[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out crc);
    }
}
