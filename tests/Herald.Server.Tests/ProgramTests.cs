using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Herald.Server.Configuration;
using Herald.TestKit;

namespace Herald.Server.Tests;

/// <summary>
/// The <c>herald</c> executable end to end, as scripts and operators see it: ready lines, exit codes, error
/// messages, signals and option precedence. Each test runs its own process on 127.0.0.1 with free ports and a
/// temporary working directory.
/// </summary>
public sealed class ProgramTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Serves_ready_health_then_exits_zero_on_sigterm()
    {
        using var herald = Start("--data-dir", _directory.Combine("data"));
        var http = await herald.WaitForListenerAsync("http");

        using var client = new HttpClient();
        var response = await client.GetAsync(new Uri($"http://127.0.0.1:{http.Port}/health/ready"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        herald.SignalTerm();
        Assert.Equal(0, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
    }

    [Fact]
    public async Task Opens_the_storage_engine_and_marks_only_a_graceful_stop_as_a_clean_shutdown()
    {
        var data = _directory.Combine("data");
        var marker = Path.Combine(data, "clean-shutdown");
        using (var herald = Start("--data-dir", data))
        {
            await herald.WaitForListenerAsync("http");
            Assert.True(Directory.Exists(Path.Combine(data, "metadata")));
            Assert.True(Directory.Exists(Path.Combine(data, "logs")));
            Assert.False(File.Exists(marker)); // removed while the node runs
            herald.SignalTerm();
            Assert.Equal(0, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        }
        Assert.True(File.Exists(marker));

        using (var herald = Start("--data-dir", data))
        {
            await herald.WaitForListenerAsync("http");
            herald.KillHard();
            await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout);
        }
        Assert.False(File.Exists(marker)); // kill -9 runs no shutdown: the next start will scan log tails
    }

    [Fact]
    public async Task Prints_one_ready_line_per_listener_with_the_bound_address()
    {
        using var herald = Start("--data-dir", _directory.Combine("data"));
        var http = await herald.WaitForListenerAsync("http");
        var kafka = await herald.WaitForListenerAsync("kafka");

        Assert.Equal(IPAddress.Loopback, http.Address);
        Assert.NotEqual(0, http.Port);
        Assert.Equal(IPAddress.Loopback, kafka.Address);
        Assert.NotEqual(http.Port, kafka.Port);
        var protocols = herald.StandardOutputLines
            .Select(l => HeraldExecutable.ListeningLine().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups["protocol"].Value)
            .ToList();
        Assert.Equal(protocols.Distinct(), protocols);
    }

    [Fact]
    public async Task Exits_3_naming_protocol_and_port_when_the_http_port_is_taken()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        using var herald = Start("--data-dir", _directory.Combine("data"), "--http-port", port.ToString());

        Assert.Equal(3, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        var error = Assert.Single(herald.StandardErrorLines);
        Assert.Contains("http", error);
        Assert.Contains($"port {port} is already in use", error);
    }

    [Fact]
    public async Task Exits_4_when_the_data_directory_is_a_file()
    {
        var file = _directory.Combine("data");
        await File.WriteAllTextAsync(file, "not a directory");

        using var herald = Start("--data-dir", file);

        Assert.Equal(4, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        Assert.Equal($"herald: data directory {file} is a file, not a directory", Assert.Single(herald.StandardErrorLines));
    }

    [Fact]
    public async Task Exits_4_when_another_herald_holds_the_data_directory()
    {
        var data = _directory.Combine("data");
        using var first = Start("--data-dir", data);
        await first.WaitForListenerAsync("http");

        using var second = Start("--data-dir", data);

        Assert.Equal(4, await second.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        Assert.Contains("in use by another Herald process", Assert.Single(second.StandardErrorLines));
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task Help_lists_every_option_with_its_environment_name_and_exits_0()
    {
        using var herald = HeraldExecutable.Start(["--help"], _directory.Path);

        Assert.Equal(0, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        var help = string.Join('\n', herald.StandardOutputLines);
        Assert.Contains("--data-dir", help);
        Assert.Contains("HERALD_DATA_DIR", help);
        Assert.All(HeraldOptionTable.All, option =>
        {
            Assert.Contains(option.Flag, help);
            Assert.Contains(option.EnvironmentVariable, help);
        });
        Assert.Empty(herald.StandardErrorLines);
    }

    [Theory]
    [InlineData("--no-such-option", "unknown option '--no-such-option'")]
    [InlineData("--http-port=70000", "invalid value '70000' for --http-port")]
    [InlineData("--fsync=sometimes", "invalid value 'sometimes' for --fsync")]
    public async Task Exits_2_with_a_one_line_error_for_bad_arguments(string argument, string expectedError)
    {
        using var herald = HeraldExecutable.Start([argument], _directory.Path);

        Assert.Equal(2, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));
        Assert.Contains(expectedError, Assert.Single(herald.StandardErrorLines));
        Assert.False(Directory.Exists(_directory.Combine("data")));
    }

    [Fact]
    public async Task Flag_wins_over_environment_which_wins_over_herald_json()
    {
        var (jsonPort, environmentPort, flagPort) = (ProcessRunner.FreePort(), ProcessRunner.FreePort(), ProcessRunner.FreePort());
        await File.WriteAllTextAsync(_directory.Combine("herald.json"), $$"""{ "httpPort": {{jsonPort}}, "bind": "127.0.0.1" }""");

        using var herald = HeraldExecutable.Start(
            ["--http-port", flagPort.ToString()],
            _directory.Path,
            new Dictionary<string, string> { ["HERALD_HTTP_PORT"] = environmentPort.ToString() });

        var http = await herald.WaitForListenerAsync("http");
        Assert.Equal(flagPort, http.Port);
        Assert.Equal(IPAddress.Loopback, http.Address);
    }

    [Fact]
    public async Task Environment_wins_over_herald_json()
    {
        var (jsonPort, environmentPort) = (ProcessRunner.FreePort(), ProcessRunner.FreePort());
        await File.WriteAllTextAsync(_directory.Combine("herald.json"), $$"""{ "httpPort": {{jsonPort}} }""");

        using var herald = HeraldExecutable.Start(
            [],
            _directory.Path,
            new Dictionary<string, string> { ["HERALD_HTTP_PORT"] = environmentPort.ToString(), ["HERALD_BIND"] = "127.0.0.1" });

        Assert.Equal(environmentPort, (await herald.WaitForListenerAsync("http")).Port);
    }

    [Fact]
    public async Task Reads_the_json_file_named_by_config()
    {
        var port = ProcessRunner.FreePort();
        var config = _directory.Combine("elsewhere.json");
        await File.WriteAllTextAsync(config, $$"""{ "httpPort": {{port}}, "bind": "127.0.0.1", "dataDir": "from-config" }""");

        using var herald = HeraldExecutable.Start(["--config", config], _directory.Path);

        Assert.Equal(port, (await herald.WaitForListenerAsync("http")).Port);
        Assert.True(File.Exists(_directory.Combine("from-config", ".lock")));
    }

    [Fact]
    public async Task Creates_data_under_the_working_directory_by_default()
    {
        using var herald = HeraldExecutable.Start(["--bind", "127.0.0.1", "--http-port", "0"], _directory.Path);

        await herald.WaitForListenerAsync("http");
        Assert.True(File.Exists(_directory.Combine("data", ".lock")));
    }

    [Fact]
    public async Task Json_log_format_writes_every_log_event_as_one_json_object()
    {
        using var herald = Start("--data-dir", _directory.Combine("data"), "--log-format", "json");
        await herald.WaitForListenerAsync("http");
        herald.SignalTerm();
        Assert.Equal(0, await herald.WaitForExitAsync(HeraldExecutable.ExitTimeout));

        var logLines = herald.StandardOutputLines.Where(l => !HeraldExecutable.ListeningLine().IsMatch(l)).ToList();
        Assert.NotEmpty(logLines);
        Assert.All(logLines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
    }

    /// <summary>Loopback, free ports, in the test's directory, plus <paramref name="arguments"/>.</summary>
    private ProcessRunner Start(params string[] arguments) =>
        HeraldExecutable.Start(["--bind", "127.0.0.1", "--http-port", "0", "--kafka-port", "0", "--amqp-port", "0", "--resp-port", "0", .. arguments], _directory.Path);
}
