using System.Text;
using Herald.Broker.PubSub;

namespace Herald.Broker.Tests.PubSub;

/// <summary>Redis's stringmatchlen cases (its util.c tests and the PSUBSCRIBE documentation) and the edge cases.</summary>
public sealed class GlobPatternTests
{
    [Theory]
    // Redis's quirk, kept: the loop never runs for an empty text, so even "*" does not match it.
    [InlineData("*", "", false)]
    [InlineData("*", "anything", true)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h*llo", "hllo", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[b-a]llo", "hallo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    [InlineData("news.*", "news.art", true)]
    [InlineData("news.*", "news", false)]
    [InlineData(@"a\*b", "a*b", true)]
    [InlineData(@"a\*b", "axb", false)]
    [InlineData(@"[\]]", "]", true)]
    [InlineData(@"a\", @"a\", true)]
    [InlineData("[abc", "a", true)]
    [InlineData("[abc", "d", false)]
    [InlineData("a*", "a", true)]
    [InlineData("a**", "a", true)]
    [InlineData("*a*b*", "xaxxbx", true)]
    [InlineData("*a*b", "xaxxbx", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("abc", "ab", false)]
    public void Matches_as_Redis_stringmatchlen_does(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobPattern.IsMatch(Encoding.Latin1.GetBytes(pattern), Encoding.Latin1.GetBytes(text)));
    }

    [Fact]
    public void Ignoring_case_folds_ASCII_letters_and_ranges()
    {
        Assert.True(GlobPattern.IsMatch("H[A-C]LLO"u8, "hbllo"u8, ignoreCase: true));
        Assert.False(GlobPattern.IsMatch("H[A-C]LLO"u8, "hbllo"u8));
    }

    [Fact]
    public void A_hostile_pattern_with_many_stars_finishes_quickly()
    {
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*a", 40)) + "b");
        var text = Encoding.ASCII.GetBytes(new string('a', 5000));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(GlobPattern.IsMatch(pattern, text));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Nesting_deeper_than_a_thousand_stars_is_no_match()
    {
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 1100)));
        var text = Encoding.ASCII.GetBytes(new string('a', 1200));

        Assert.False(GlobPattern.IsMatch(pattern, text));
        Assert.True(GlobPattern.IsMatch("a*a*"u8, "aaa"u8));
    }
}
