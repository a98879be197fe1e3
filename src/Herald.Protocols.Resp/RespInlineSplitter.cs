namespace Herald.Protocols.Resp;

/// <summary>
/// Splits an inline request line into arguments exactly as Redis's <c>sdssplitargs</c> does, since inline commands
/// (typed into telnet, or sent by scripts) must mean the same here:
/// <list type="bullet">
/// <item>arguments are separated by whitespace (space, tab, CR, LF, vertical tab, form feed);</item>
/// <item>"double quotes" allow <c>\n \r \t \b \a</c>, <c>\xHH</c> and <c>\</c> before any other byte for that byte;</item>
/// <item>'single quotes' allow only <c>\'</c>;</item>
/// <item>a closing quote must be followed by whitespace or the end of the line, and an unterminated quote is an
/// error (<c>Protocol error: unbalanced quotes in request</c>);</item>
/// <item>as in C, a NUL byte ends the line.</item>
/// </list>
/// Stateless.
/// </summary>
internal static class RespInlineSplitter
{
    public static void Split(ReadOnlySpan<byte> line, RespRequest request)
    {
        var p = 0;
        while (true)
        {
            while (IsSpace(At(line, p)))
            {
                p++;
            }
            if (At(line, p) == 0)
            {
                return;
            }

            var inDoubleQuotes = false;
            var inSingleQuotes = false;
            var done = false;
            request.BeginArgument();
            while (!done)
            {
                var c = At(line, p);
                if (inDoubleQuotes)
                {
                    if (c == (byte)'\\' && At(line, p + 1) == (byte)'x' && IsHexDigit(At(line, p + 2)) && IsHexDigit(At(line, p + 3)))
                    {
                        request.Append((byte)((HexValue(At(line, p + 2)) * 16) + HexValue(At(line, p + 3))));
                        p += 3;
                    }
                    else if (c == (byte)'\\' && At(line, p + 1) != 0)
                    {
                        p++;
                        request.Append(At(line, p) switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        });
                    }
                    else if (c == (byte)'"')
                    {
                        if (At(line, p + 1) != 0 && !IsSpace(At(line, p + 1)))
                        {
                            throw Unbalanced();
                        }
                        done = true;
                    }
                    else if (c == 0)
                    {
                        throw Unbalanced();
                    }
                    else
                    {
                        request.Append(c);
                    }
                }
                else if (inSingleQuotes)
                {
                    if (c == (byte)'\\' && At(line, p + 1) == (byte)'\'')
                    {
                        p++;
                        request.Append((byte)'\'');
                    }
                    else if (c == (byte)'\'')
                    {
                        if (At(line, p + 1) != 0 && !IsSpace(At(line, p + 1)))
                        {
                            throw Unbalanced();
                        }
                        done = true;
                    }
                    else if (c == 0)
                    {
                        throw Unbalanced();
                    }
                    else
                    {
                        request.Append(c);
                    }
                }
                else
                {
                    switch (c)
                    {
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inDoubleQuotes = true;
                            break;
                        case (byte)'\'':
                            inSingleQuotes = true;
                            break;
                        default:
                            request.Append(c);
                            break;
                    }
                }
                if (At(line, p) != 0)
                {
                    p++;
                }
            }
            request.EndArgument();
        }
    }

    /// <summary>The byte at <paramref name="index"/>, or 0 past the end: the C string's terminator.</summary>
    private static byte At(ReadOnlySpan<byte> line, int index) => (uint)index < (uint)line.Length ? line[index] : (byte)0;

    /// <summary>C's <c>isspace</c> in the C locale.</summary>
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHexDigit(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => c - 'A' + 10,
    };

    private static RespProtocolException Unbalanced() => new("Protocol error: unbalanced quotes in request");
}
