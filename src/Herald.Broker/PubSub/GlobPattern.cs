namespace Herald.Broker.PubSub;

/// <summary>
/// Redis's glob matching (<c>stringmatchlen</c> in <c>util.c</c>), used by PSUBSCRIBE, PUBSUB CHANNELS and, later,
/// KEYS and SCAN MATCH, so patterns mean exactly what they mean to Redis:
/// <list type="bullet">
/// <item><c>*</c> any run of bytes, <c>?</c> any one byte;</item>
/// <item><c>[abc]</c>, <c>[^abc]</c>, <c>[a-z]</c> (reversed ranges allowed), <c>\</c> escaping inside brackets; an
/// unterminated bracket matches what it has read so far;</item>
/// <item><c>\x</c> the byte x literally; a trailing <c>\</c> matches a backslash.</item>
/// </list>
/// Matching is over bytes, not characters. Like Redis it gives up (no match) past 1000 nested <c>*</c>, and stops
/// retrying longer matches for earlier stars once a later star has failed everywhere, which keeps hostile patterns
/// such as <c>*a*a*a*a*b</c> linear per star. Stateless; thread-safe.
/// </summary>
public static class GlobPattern
{
    private const int MaxNesting = 1000;

    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
    {
        var skipLongerMatches = false;
        return Match(pattern, text, ignoreCase, ref skipLongerMatches, 0);
    }

    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase, ref bool skipLongerMatches, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return false;
        }

        while (pattern.Length > 0 && text.Length > 0)
        {
            // Every case consumes its pattern byte(s) but the last, which the shared advance below takes; an
            // unterminated bracket has consumed everything and clears this.
            var advance = true;
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == (byte)'*')
                    {
                        pattern = pattern[1..];
                    }
                    if (pattern.Length == 1)
                    {
                        return true;
                    }
                    while (text.Length > 0)
                    {
                        if (Match(pattern[1..], text, ignoreCase, ref skipLongerMatches, nesting + 1))
                        {
                            return true;
                        }
                        if (skipLongerMatches)
                        {
                            return false;
                        }
                        text = text[1..];
                    }
                    // The rest of the pattern matches nowhere in the rest of the text, so no earlier star can help
                    // by matching more: tell the callers to stop.
                    skipLongerMatches = true;
                    return false;

                case (byte)'?':
                    text = text[1..];
                    break;

                case (byte)'[':
                    {
                        pattern = pattern[1..];
                        var negate = pattern.Length > 0 && pattern[0] == (byte)'^';
                        if (negate)
                        {
                            pattern = pattern[1..];
                        }
                        var matched = false;
                        while (true)
                        {
                            if (pattern.Length == 0)
                            {
                                // Unterminated bracket: it matches on what it has read so far.
                                advance = false;
                                break;
                            }
                            if (pattern[0] == (byte)'\\' && pattern.Length >= 2)
                            {
                                pattern = pattern[1..];
                                if (pattern[0] == text[0])
                                {
                                    matched = true;
                                }
                            }
                            else if (pattern[0] == (byte)']')
                            {
                                break;
                            }
                            else if (pattern.Length >= 3 && pattern[1] == (byte)'-')
                            {
                                int start = pattern[0];
                                int end = pattern[2];
                                int c = text[0];
                                if (start > end)
                                {
                                    (start, end) = (end, start);
                                }
                                if (ignoreCase)
                                {
                                    start = Lower(start);
                                    end = Lower(end);
                                    c = Lower(c);
                                }
                                pattern = pattern[2..];
                                if (c >= start && c <= end)
                                {
                                    matched = true;
                                }
                            }
                            else if (Same(pattern[0], text[0], ignoreCase))
                            {
                                matched = true;
                            }
                            pattern = pattern[1..];
                        }
                        if (negate)
                        {
                            matched = !matched;
                        }
                        if (!matched)
                        {
                            return false;
                        }
                        text = text[1..];
                        break;
                    }

                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (!Same(pattern[0], text[0], ignoreCase))
                    {
                        return false;
                    }
                    text = text[1..];
                    break;

                default:
                    if (!Same(pattern[0], text[0], ignoreCase))
                    {
                        return false;
                    }
                    text = text[1..];
                    break;
            }

            if (advance)
            {
                pattern = pattern[1..];
            }
            if (text.Length == 0)
            {
                while (pattern.Length > 0 && pattern[0] == (byte)'*')
                {
                    pattern = pattern[1..];
                }
                break;
            }
        }
        return pattern.Length == 0 && text.Length == 0;
    }

    private static bool Same(byte a, byte b, bool ignoreCase) =>
        a == b || (ignoreCase && Lower(a) == Lower(b));

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;
}
