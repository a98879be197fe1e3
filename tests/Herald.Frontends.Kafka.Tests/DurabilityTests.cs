using Herald.Protocols.Kafka;
using Herald.Protocols.Kafka.Messages;
using Herald.TestKit;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>Topics and records across restarts: a clean in-process restart, and kill -9 of a real herald process.</summary>
public sealed class DurabilityTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Topics_configs_and_records_survive_a_restart_on_the_same_data_directory()
    {
        await using var node = new KafkaNode();
        await node.InitializeAsync();
        var topic = KafkaNode.UniqueTopic("restart");
        Guid id;
        await using (var client = await RawKafkaClient.ConnectAsync(node.Port))
        {
            id = (await Batches.CreateTopicAsync(client, topic, 2, 1, false, ("retention.ms", "3600000"))).TopicId;
        }
        var produced = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-P", "-K", ":"],
            ClientProcess.Lines(Enumerable.Range(0, 50).Select(i => $"k{i}:v{i}")));
        Assert.True(produced.ExitCode == 0, produced.Describe());

        await node.RestartAsync();

        await using var after = await RawKafkaClient.ConnectAsync(node.Port);
        var metadata = await after.RequestAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [new() { Name = topic }] });
        var configs = await after.RequestAsync<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, new DescribeConfigsRequest
        {
            Resources = [new() { ResourceType = 2, ResourceName = topic, ConfigurationKeys = ["retention.ms"] }],
        });
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%k:%s\\n"]);
        Assert.Equal((id, 2), (metadata.Topics[0].TopicId, metadata.Topics[0].Partitions.Count));
        Assert.Equal("3600000", configs.Results[0].Configs[0].Value);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"k{i}:v{i}").Order(), consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public Task Every_record_acknowledged_with_acks_all_survives_kill_minus_9() => AssertAcknowledgedSurviveKillAsync(idempotent: false);

    [Fact]
    public Task Every_record_an_idempotent_producer_had_acknowledged_survives_kill_minus_9_exactly_once() =>
        AssertAcknowledgedSurviveKillAsync(idempotent: true);

    private static async Task AssertAcknowledgedSurviveKillAsync(bool idempotent)
    {
        using var data = new TempDirectory();
        var topic = KafkaNode.UniqueTopic("kill9");
        List<(string Value, int Partition, long Offset)> acked;
        using (var herald = StartHerald(data.Path))
        {
            var bootstrap = await WaitForKafkaAsync(herald);
            await Batches.CreateTopicAsync(int.Parse(bootstrap.Split(':')[1]), topic, 2);
            using var producer = ProcessRunner.Start(ClientProcess.Python,
                [Path.Combine(AppContext.BaseDirectory, "Clients", "confluent_produce_until_killed.py"), bootstrap, topic, idempotent ? "idempotent" : "plain"]);
            await WaitForAcksAsync(producer, 2_000);

            herald.KillHard();
            await herald.WaitForExitAsync(StartTimeout);
            await producer.WaitForLineAsync(l => l.StartsWith("failed ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            acked = Acked(producer);
        }

        using var restarted = StartHerald(data.Path);
        var again = await WaitForKafkaAsync(restarted);
        var consumed = await ClientProcess.RunAsync(ClientProcess.Kcat, ["-b", again, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%s %p %o\\n"]);
        var lines = consumed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stored = lines.ToHashSet();

        Assert.True(acked.Count >= 2_000, $"only {acked.Count} acknowledged");
        var lost = acked.Where(a => !stored.Contains($"{a.Value} {a.Partition} {a.Offset}")).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acked.Count} acknowledged records lost, e.g. {string.Join(", ", lost.Take(5))}");
        if (idempotent)
        {
            var twice = lines.GroupBy(l => l.Split(' ')[0]).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{twice.Count} records stored more than once, e.g. {string.Join(", ", twice.Take(5))}");
        }
    }

    [Fact]
    public async Task Committed_offsets_survive_kill_minus_9_and_a_librdkafka_group_resumes_from_them()
    {
        using var data = new TempDirectory();
        var topic = KafkaNode.UniqueTopic("kill9grp");
        var group = topic + "-g";
        using (var herald = StartHerald(data.Path))
        {
            var bootstrap = await WaitForKafkaAsync(herald);
            var committed = (await ClientProcess.PythonScriptAsync("confluent_commit.py", bootstrap, topic, group, "commit")).Report();
            Assert.Equal(10, committed.GetProperty("received").GetArrayLength());

            herald.KillHard();
            await herald.WaitForExitAsync(StartTimeout);
        }

        using var restarted = StartHerald(data.Path);
        var again = await WaitForKafkaAsync(restarted);
        var read = (await ClientProcess.PythonScriptAsync("confluent_commit.py", again, topic, group, "read")).Report();

        Assert.Equal([5L, 5L], read.GetProperty("committed").EnumerateArray().Select(o => o.GetInt64()));
        Assert.Equal(["v10", "v11", "v12", "v13"], read.GetProperty("received").EnumerateArray().Select(v => v.GetString()));
    }

    private static ProcessRunner StartHerald(string dataDirectory) =>
        ProcessRunner.StartDotnet(Path.Combine(AppContext.BaseDirectory, "herald.dll"),
            ["--data-dir", dataDirectory, "--bind", "127.0.0.1", "--kafka-port", "0", "--http-port", "0", "--amqp-port", "0", "--resp-port", "0"]);

    private static async Task<string> WaitForKafkaAsync(ProcessRunner herald)
    {
        var line = await herald.WaitForLineAsync(l => l.StartsWith("herald: kafka listening on ", StringComparison.Ordinal), StartTimeout);
        return line["herald: kafka listening on ".Length..];
    }

    private static async Task WaitForAcksAsync(ProcessRunner producer, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (producer.StandardOutputLines.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline && !producer.HasExited,
                $"the producer got {producer.StandardOutputLines.Count} acks; stderr: {string.Join('\n', producer.StandardErrorLines.TakeLast(10))}");
            await Task.Delay(50);
        }
    }

    private static List<(string Value, int Partition, long Offset)> Acked(ProcessRunner producer) =>
    [
        .. producer.StandardOutputLines
            .Where(l => l.StartsWith("acked ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(p => (p[1], int.Parse(p[2]), long.Parse(p[3]))),
    ];
}
