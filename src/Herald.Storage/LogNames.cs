using System.Text;

namespace Herald.Storage;

/// <summary>
/// Maps log names (any string the broker uses: a topic partition, an AMQP queue name with slashes, a Redis key) to
/// safe directory names and back. Letters, digits, <c>_</c>, <c>-</c> and (not leading) <c>.</c> stay as they are;
/// every other UTF-8 byte becomes <c>%XX</c>. The mapping is reversible so the engine can list its logs.
/// </summary>
public static class LogNames
{
    public static string ToDirectoryName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var builder = new StringBuilder(name.Length);
        var bytes = Encoding.UTF8.GetBytes(name);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var safe = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'_' or (byte)'-' || (b == (byte)'.' && i > 0);
            if (safe)
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    public static bool TryFromDirectoryName(string directoryName, out string name)
    {
        var bytes = new List<byte>(directoryName.Length);
        for (var i = 0; i < directoryName.Length; i++)
        {
            var c = directoryName[i];
            if (c == '%')
            {
                if (i + 2 >= directoryName.Length || !byte.TryParse(directoryName.AsSpan(i + 1, 2),
                        System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var b))
                {
                    name = "";
                    return false;
                }
                bytes.Add(b);
                i += 2;
            }
            else if (c < 128)
            {
                bytes.Add((byte)c);
            }
            else
            {
                name = "";
                return false;
            }
        }
        name = Encoding.UTF8.GetString(bytes.ToArray());
        return name.Length > 0;
    }
}
