using System.Net;
using Herald.Broker.Resources;
using Herald.Server.Configuration;
using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Server.Tests;

/// <summary>Option parsing without a process: precedence, validation and messages.</summary>
public sealed class HeraldCommandLineTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void No_arguments_give_the_defaults()
    {
        var options = Parse([]);

        Assert.Equal("./data", options.DataDirectory);
        Assert.Equal(IPAddress.Any, options.BindAddress);
        Assert.Equal((9092, 5672, 6379, 15672), (options.KafkaPort, options.AmqpPort, options.RespPort, options.HttpPort));
        Assert.Equal(FsyncPolicy.Always, options.Fsync);
        Assert.Equal(TimeSpan.FromSeconds(1), options.FsyncInterval);
        Assert.Equal(1073741824, options.SegmentSizeBytes);
        Assert.Equal(HeraldLogFormat.Text, options.LogFormat);
        Assert.Equal(MemoryHighWatermark.Relative(0.4), options.MemoryHighWatermark);
        Assert.Equal(50_000_000, options.DiskFreeLimitBytes);
        Assert.Equal(16L << 20, options.QueueMemoryBudgetBytes);
    }

    [Theory]
    [InlineData("0.6", 0.6, null)]
    [InlineData("1.0", 1.0, null)]
    [InlineData("512MiB", null, 512L << 20)]
    [InlineData("2GB", null, 2_000_000_000L)]
    [InlineData("1073741824", null, 1073741824L)]
    [InlineData("64k", null, 65536L)]
    public void Memory_high_watermark_is_a_fraction_or_a_size_as_in_RabbitMQ(string value, double? fraction, long? bytes)
    {
        var options = Parse(["--memory-high-watermark", value]);

        Assert.Equal(fraction, options.MemoryHighWatermark.Fraction);
        Assert.Equal(bytes, options.MemoryHighWatermark.Bytes);
    }

    [Theory]
    [InlineData("50MB", 50_000_000L)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("2 GB", 2_000_000_000L)]
    [InlineData("0", 0L)]
    public void Disk_free_limit_is_a_size(string value, long bytes)
    {
        Assert.Equal(bytes, Parse([$"--disk-free-limit={value}"]).DiskFreeLimitBytes);
    }

    [Theory]
    [InlineData("8MiB", 8L << 20)]
    [InlineData("64MB", 64_000_000L)]
    [InlineData("0", 0L)]
    public void Queue_memory_budget_is_a_size(string value, long bytes)
    {
        Assert.Equal(bytes, Parse([$"--queue-memory-budget={value}"]).QueueMemoryBudgetBytes);
    }

    [Fact]
    public void Every_flag_sets_its_option_in_both_spellings()
    {
        string[] values = ["--data-dir", "/srv/herald", "--bind=127.0.0.1", "--kafka-port", "1", "--amqp-port=2", "--resp-port", "3",
            "--http-port", "4", "--fsync", "Interval", "--fsync-interval-ms", "250", "--segment-bytes", "4096",
            "--retention-check-interval-ms=750", "--log-format=json"];

        var options = Parse(values);

        Assert.Equal("/srv/herald", options.DataDirectory);
        Assert.Equal(IPAddress.Loopback, options.BindAddress);
        Assert.Equal((1, 2, 3, 4), (options.KafkaPort, options.AmqpPort, options.RespPort, options.HttpPort));
        Assert.Equal(FsyncPolicy.Interval, options.Fsync);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.FsyncInterval);
        Assert.Equal(4096, options.SegmentSizeBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.RetentionCheckInterval);
        Assert.Equal(HeraldLogFormat.Json, options.LogFormat);
    }

    [Fact]
    public void Flag_beats_environment_beats_json_file_for_each_option()
    {
        File.WriteAllText(_directory.Combine("herald.json"), """{ "httpPort": 1001, "kafkaPort": 1002, "amqpPort": 1003 }""");
        var environment = new Dictionary<string, string> { ["HERALD_HTTP_PORT"] = "2001", ["HERALD_KAFKA_PORT"] = "2002" };

        var options = Parse(["--http-port", "3001"], environment);

        Assert.Equal(3001, options.HttpPort);
        Assert.Equal(2002, options.KafkaPort);
        Assert.Equal(1003, options.AmqpPort);
    }

    [Fact]
    public void Empty_environment_variables_count_as_unset()
    {
        var options = Parse([], new Dictionary<string, string> { ["HERALD_HTTP_PORT"] = "" });

        Assert.Equal(15672, options.HttpPort);
    }

    [Fact]
    public void Config_file_can_be_named_by_environment_variable()
    {
        File.WriteAllText(_directory.Combine("other.json"), """{ "dataDir": "from-other" }""");

        var options = Parse([], new Dictionary<string, string> { ["HERALD_CONFIG"] = "other.json" });

        Assert.Equal("from-other", options.DataDirectory);
    }

    [Theory]
    [InlineData(new[] { "--kafka-port", "65536" }, "invalid value '65536' for --kafka-port (env HERALD_KAFKA_PORT, json \"kafkaPort\"): expected a port number 0..65535")]
    [InlineData(new[] { "--http-port", "-1" }, "invalid value '-1' for --http-port")]
    [InlineData(new[] { "--http-port", "http" }, "invalid value 'http' for --http-port")]
    [InlineData(new[] { "--fsync", "1" }, "expected one of always, interval, os")]
    [InlineData(new[] { "--fsync-interval-ms", "0" }, "invalid value '0' for --fsync-interval-ms")]
    [InlineData(new[] { "--segment-bytes", "1e9" }, "invalid value '1e9' for --segment-bytes")]
    [InlineData(new[] { "--bind", "localhost" }, "expected an IP address")]
    [InlineData(new[] { "--log-format", "xml" }, "expected one of text, json")]
    [InlineData(new[] { "--memory-high-watermark", "40%" }, "expected a fraction of RAM such as 0.4, or a size")]
    [InlineData(new[] { "--memory-high-watermark", "-0.4" }, "invalid value '-0.4' for --memory-high-watermark")]
    [InlineData(new[] { "--disk-free-limit", "50XB" }, "invalid value '50XB' for --disk-free-limit")]
    [InlineData(new[] { "--queue-memory-budget", "lots" }, "invalid value 'lots' for --queue-memory-budget")]
    [InlineData(new[] { "--disk-free-limit", "99999999999TB" }, "invalid value '99999999999TB' for --disk-free-limit")]
    [InlineData(new[] { "--datadir", "x" }, "unknown option '--datadir'")]
    [InlineData(new[] { "-h2" }, "unexpected argument '-h2'")]
    [InlineData(new[] { "serve" }, "unexpected argument 'serve'")]
    [InlineData(new[] { "--http-port" }, "option --http-port needs a value")]
    [InlineData(new[] { "--config", "missing.json" }, "does not exist")]
    public void Rejects_bad_arguments_with_a_message_naming_the_option(string[] args, string expected)
    {
        var error = ParseError(args, NoEnvironment);

        Assert.Contains(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Rejects_a_bad_environment_value_naming_the_variable()
    {
        var error = ParseError([], new Dictionary<string, string> { ["HERALD_RESP_PORT"] = "redis" });

        Assert.Contains("HERALD_RESP_PORT", error);
    }

    [Fact]
    public void Rejects_unknown_keys_in_the_json_file()
    {
        File.WriteAllText(_directory.Combine("herald.json"), """{ "dataDirectory": "x" }""");

        Assert.Contains("unknown key \"dataDirectory\"", ParseError([], NoEnvironment));
    }

    [Fact]
    public void Rejects_a_json_file_that_does_not_parse()
    {
        File.WriteAllText(_directory.Combine("herald.json"), """{ "httpPort": """);

        Assert.Contains("cannot read config file", ParseError([], NoEnvironment));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_wins_over_everything_else(string flag)
    {
        var result = HeraldCommandLine.Parse(["--no-such-option", flag], NoEnvironment, _directory.Path);

        Assert.True(result.ShowHelp);
    }

    private HeraldOptions Parse(string[] args, Dictionary<string, string>? environment = null)
    {
        var result = HeraldCommandLine.Parse(args, environment ?? NoEnvironment, _directory.Path);
        Assert.Null(result.Error);
        return Assert.IsType<HeraldOptions>(result.Options);
    }

    private string ParseError(string[] args, Dictionary<string, string> environment)
    {
        var result = HeraldCommandLine.Parse(args, environment, _directory.Path);
        Assert.Null(result.Options);
        return Assert.IsType<string>(result.Error);
    }
}
