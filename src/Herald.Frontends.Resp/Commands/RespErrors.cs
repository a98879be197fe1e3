using System.Text;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Commands;

/// <summary>
/// Redis's error replies, word for word (from <c>server.c</c>, <c>networking.c</c> and <c>object.c</c>), for
/// clients and tests that match on them. Messages quoting client bytes decode them as Latin-1, which
/// <see cref="RespWriter.WriteError(string)"/> turns back into the same bytes. Stateless.
/// </summary>
internal static class RespErrors
{
    public const string Syntax = "ERR syntax error";

    /// <summary>Redis's reply to a <c>denyoom</c> command above <c>maxmemory</c>; Herald's under its memory alarm.</summary>
    public const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";

    /// <summary>
    /// Herald's reply to a <c>write</c> command under its disk alarm. The <c>MISCONF</c> code is the one Redis uses when
    /// it cannot persist (stop-writes-on-bgsave-error), so clients classify it the same; the text says why here.
    /// </summary>
    public const string LowOnDisk = "MISCONF Free disk space on the data directory is below the disk free limit. "
        + "Commands that may modify the data set are disabled until space is freed.";

    public const string NotAnInteger = "ERR value is not an integer or out of range";

    /// <summary>
    /// <c>unknown command '%.128s', with args beginning with: </c> then each argument as <c>'%.*s' </c> while the
    /// list is under 128 bytes, each cut to what is left of the 128 (Redis's commandCheckExistence).
    /// </summary>
    public static string UnknownCommand(RespRequest request)
    {
        var message = new StringBuilder("ERR unknown command '");
        message.Append(Quote(request[0], 128)).Append("', with args beginning with: ");
        var args = new StringBuilder();
        for (var i = 1; i < request.Count && args.Length < 128; i++)
        {
            var room = 128 - args.Length;
            args.Append('\'').Append(Quote(request[i], room)).Append("' ");
        }
        return message.Append(args).ToString();
    }

    /// <summary><c>unknown subcommand '%.128s'. Try CONTAINER HELP.</c>, with the container as the client typed it, upper-cased.</summary>
    public static string UnknownSubcommand(RespRequest request) =>
        $"ERR unknown subcommand '{Quote(request[1], 128)}'. Try {AsciiUpper(Quote(request[0], int.MaxValue))} HELP.";

    /// <summary>Redis's addReplySubcommandSyntaxError, for a subcommand whose argument count its handler rejects.</summary>
    public static string SubcommandSyntax(RespRequest request) =>
        $"ERR unknown subcommand or wrong number of arguments for '{Quote(request[1], 128)}'. Try {AsciiUpper(Quote(request[0], int.MaxValue))} HELP.";

    public static string WrongArity(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";

    /// <summary>C's <c>toupper</c> in the C locale: ASCII letters only.</summary>
    public static string AsciiUpper(string text) =>
        string.Create(text.Length, text, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                chars[i] = char.IsAsciiLetterLower(source[i]) ? (char)(source[i] - 32) : source[i];
            }
        });

    /// <summary>Client bytes as a C <c>%.Ns</c> would print them: up to the first NUL, at most <paramref name="max"/> bytes.</summary>
    public static string Quote(ReadOnlySpan<byte> bytes, int max)
    {
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            bytes = bytes[..nul];
        }
        if (bytes.Length > max)
        {
            bytes = bytes[..max];
        }
        return Encoding.Latin1.GetString(bytes);
    }
}
