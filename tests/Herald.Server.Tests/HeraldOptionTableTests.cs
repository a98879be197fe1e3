using System.Text.RegularExpressions;
using Herald.Broker.Resources;
using Herald.Server.Configuration;
using Herald.Storage.Log;

namespace Herald.Server.Tests;

/// <summary>The option table's names follow one scheme, so users can guess any spelling from another.</summary>
public sealed partial class HeraldOptionTableTests
{
    public static TheoryData<string> Flags => [.. HeraldOptionTable.All.Select(o => o.Flag)];

    [Theory]
    [MemberData(nameof(Flags))]
    public void Environment_name_and_config_key_are_spelled_from_the_flag(string flag)
    {
        var option = HeraldOptionTable.All.Single(o => o.Flag == flag);
        var words = flag[2..].Split('-');

        Assert.Matches(KebabFlag(), flag);
        Assert.Equal("HERALD_" + string.Join('_', words).ToUpperInvariant(), option.EnvironmentVariable);
        Assert.Equal(words[0] + string.Concat(words.Skip(1).Select(w => char.ToUpperInvariant(w[0]) + w[1..])), option.ConfigKey);
    }

    [Theory]
    [MemberData(nameof(Flags))]
    public void Default_shown_in_help_parses_back_to_the_default(string flag)
    {
        var option = HeraldOptionTable.All.Single(o => o.Flag == flag);
        if (option.Set is null)
        {
            return;
        }

        var defaults = new HeraldOptions();
        var parsed = new HeraldOptions
        {
            DataDirectory = "other",
            BindAddress = System.Net.IPAddress.Loopback,
            KafkaPort = 1,
            KafkaAdvertisedHost = "kafka.example",
            KafkaAdvertisedPort = 1,
            AutoCreateTopics = false,
            DefaultPartitions = 3,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(5),
            OffsetsRetention = TimeSpan.FromMinutes(5),
            AmqpPort = 1,
            RespPort = 1,
            HttpPort = 1,
            Fsync = FsyncPolicy.Os,
            FsyncInterval = TimeSpan.FromMilliseconds(5),
            SegmentSizeBytes = 7,
            RetentionCheckInterval = TimeSpan.FromMilliseconds(9),
            LogFormat = HeraldLogFormat.Json,
            MemoryHighWatermark = MemoryHighWatermark.Absolute(2L << 30),
            DiskFreeLimitBytes = 1_000_000_000,
            QueueMemoryBudgetBytes = 1L << 30,
        };
        Assert.NotEqual(option.Default(defaults), option.Default(parsed));

        Assert.Null(option.Set(parsed, option.Default(defaults)));
        Assert.Equal(option.Default(defaults), option.Default(parsed));
    }

    [Fact]
    public void Help_shows_each_option_with_its_environment_name_and_default()
    {
        var help = HeraldOptionTable.FormatHelp();
        var defaults = new HeraldOptions();

        Assert.All(HeraldOptionTable.All, option =>
            Assert.Contains($"env {option.EnvironmentVariable}", help.Split('\n').Single(l => l.TrimStart().StartsWith(option.Flag + " ", StringComparison.Ordinal))));
        Assert.Contains("--bind <address>                       env HERALD_BIND, json \"bind\", default 0.0.0.0", help);
        Assert.Contains(defaults.SegmentSizeBytes.ToString(), help);
    }

    [GeneratedRegex("^--[a-z]+(-[a-z]+)*$")]
    private static partial Regex KebabFlag();
}
