using System.Net;
using System.Net.Sockets;

namespace Herald.Server.Tests;

/// <summary>The in-process API: what an embedding application or a test harness sees.</summary>
public sealed class HeraldServerTests : IDisposable
{
    private readonly HeraldOptions _options = HeraldOptions.ForTests();

    public void Dispose()
    {
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Serves_ready_health_on_the_returned_port_and_releases_it_on_dispose()
    {
        int port;
        await using (var herald = await HeraldServer.StartAsync(_options))
        {
            port = herald.HttpPort;
            Assert.NotEqual(0, port);
            using var client = new HttpClient();
            var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""{"status":"ready"}""", await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"))).StatusCode);
        }

        using var reuse = new TcpListener(IPAddress.Loopback, port);
        reuse.Start();
    }

    [Fact]
    public async Task Health_alarms_reports_a_disk_alarm_from_the_start_until_the_limit_is_lowered()
    {
        // No filesystem has this much free space: the disk alarm is raised by the first check, before listeners open.
        _options.DiskFreeLimitBytes = long.MaxValue;
        await using var herald = await HeraldServer.StartAsync(_options);
        using var client = new HttpClient();
        var alarms = new Uri($"http://127.0.0.1:{herald.HttpPort}/health/alarms");

        var response = await client.GetAsync(alarms);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("failed", body.GetProperty("status").GetString());
        Assert.Equal("disk", Assert.Single(body.GetProperty("alarms").EnumerateArray()).GetString());
        Assert.Equal(long.MaxValue, body.GetProperty("diskFreeLimitBytes").GetInt64());
        Assert.InRange(body.GetProperty("diskFreeBytes").GetInt64(), 1, long.MaxValue - 1);
        Assert.Equal(Herald.Broker.Resources.ResourceAlarm.Disk, herald.Resources.Alarms.Active);

        herald.Resources.SetDiskFreeLimit(0);
        response = await client.GetAsync(alarms);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("""{"status":"ok","alarms":[]""", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Readiness does not depend on alarms (as RabbitMQ): the node still serves consumers.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{herald.HttpPort}/health/ready"))).StatusCode);
    }

    [Fact]
    public async Task Reports_the_listeners_it_bound_and_the_absolute_data_directory()
    {
        _options.DataDirectory = Path.GetRelativePath(Environment.CurrentDirectory, _options.DataDirectory);

        await using var herald = await HeraldServer.StartAsync(_options);

        var http = Assert.Single(herald.Listeners, l => l.Protocol == "http");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, herald.HttpPort), http.EndPoint);
        var kafka = Assert.Single(herald.Listeners, l => l.Protocol == "kafka");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, herald.KafkaPort!.Value), kafka.EndPoint);
        Assert.NotEqual(0, herald.KafkaPort);
        Assert.True(Path.IsPathFullyQualified(herald.DataDirectory));
        Assert.True(File.Exists(Path.Combine(herald.DataDirectory, ".lock")));
    }

    [Fact]
    public async Task A_second_node_cannot_take_the_data_directory_until_the_first_is_disposed()
    {
        var first = await HeraldServer.StartAsync(_options);

        var refused = await Assert.ThrowsAsync<HeraldStartupException>(() => HeraldServer.StartAsync(_options));
        Assert.Equal(HeraldStartupError.DataDirectoryUnavailable, refused.Error);

        await first.DisposeAsync();
        await using var second = await HeraldServer.StartAsync(_options);
        Assert.NotEqual(0, second.HttpPort);
    }

    [Fact]
    public async Task A_taken_port_fails_with_PortInUse_and_leaves_the_data_directory_free()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        _options.HttpPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        var failure = await Assert.ThrowsAsync<HeraldStartupException>(() => HeraldServer.StartAsync(_options));

        Assert.Equal(HeraldStartupError.PortInUse, failure.Error);
        Assert.Contains($"http on 127.0.0.1:{_options.HttpPort}", failure.Message);
        _options.HttpPort = 0;
        await using var retry = await HeraldServer.StartAsync(_options);
    }

    [Fact]
    public async Task Invalid_options_fail_with_InvalidOptions_before_anything_is_created()
    {
        _options.HttpPort = 70000;

        var failure = await Assert.ThrowsAsync<HeraldStartupException>(() => HeraldServer.StartAsync(_options));

        Assert.Equal(HeraldStartupError.InvalidOptions, failure.Error);
        Assert.Contains("HttpPort", failure.Message);
        Assert.False(Directory.Exists(_options.DataDirectory));
    }

    [Fact]
    public async Task Options_changed_after_start_do_not_affect_the_running_node()
    {
        await using var herald = await HeraldServer.StartAsync(_options);
        var directory = herald.DataDirectory;

        _options.DataDirectory = "elsewhere";

        Assert.Equal(directory, herald.DataDirectory);
    }
}
