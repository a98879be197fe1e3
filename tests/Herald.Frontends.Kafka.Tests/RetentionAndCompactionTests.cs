namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// Topic retention and compaction as a consumer sees them: kcat (librdkafka 2.0.2) produces into topics with small
/// segments, the broker's retention and compaction run every 200 ms (<c>--retention-check-interval-ms</c>), and kcat
/// consuming from the beginning then gets only what Kafka would still serve.
/// </summary>
public sealed class RetentionAndCompactionTests : IAsyncLifetime
{
    private readonly KafkaNode _node = new();

    public Task InitializeAsync()
    {
        _node.Options.RetentionCheckInterval = TimeSpan.FromMilliseconds(200);
        return _node.InitializeAsync();
    }

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Records_past_retention_ms_are_gone_and_consumers_start_at_the_new_earliest_offset()
    {
        var topic = KafkaNode.UniqueTopic("retention-ms");
        await Batches.CreateTopicAsync(_node.Port, topic, 1, ("segment.bytes", "2048"), ("retention.ms", "1500"));
        var old = Enumerable.Range(0, 60).Select(i => $"old {i} {new string('o', 80)}").ToArray();
        await ProduceAsync(topic, old);

        await Task.Delay(2500); // every sealed segment of "old" records is now past retention.ms
        var fresh = Enumerable.Range(0, 5).Select(i => $"fresh {i}").ToArray();
        await ProduceAsync(topic, fresh);

        var consumed = await WaitForAsync(topic, "%o %s\\n", lines => !lines[0].Contains(" old ", StringComparison.Ordinal));
        Assert.Equal(fresh, consumed.Select(line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]));
        Assert.Equal(old.Length, long.Parse(consumed[0].Split(' ')[0])); // offsets are kept: the first is where "fresh" began
    }

    [Fact]
    public async Task Retention_bytes_keeps_the_newest_segments_within_the_limit()
    {
        var topic = KafkaNode.UniqueTopic("retention-bytes");
        await Batches.CreateTopicAsync(_node.Port, topic, 1, ("segment.bytes", "2048"), ("retention.bytes", "4096"));
        var values = Enumerable.Range(0, 200).Select(i => $"{i} {new string('b', 80)}").ToArray();
        await ProduceAsync(topic, values);

        // Retention may run while kcat is still producing; wait for the pass that finds the log within the limit.
        var consumed = await WaitForAsync(topic, "%o %s\\n", lines => lines.Length < values.Length && lines.Sum(line => line.Length) <= 4096 + 2048);
        var firstOffset = long.Parse(consumed[0].Split(' ')[0]);
        // Whole segments go, oldest first, while the rest stays over the limit: a suffix of the log is left.
        Assert.True(firstOffset > 0);
        Assert.Equal(values[(int)firstOffset..], consumed.Select(line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]));
        Assert.InRange(consumed.Sum(line => line.Length), 1, 4096 + 2048);
    }

    [Fact]
    public async Task Compaction_leaves_the_newest_value_per_key_and_drops_tombstones()
    {
        var topic = KafkaNode.UniqueTopic("compacted");
        await Batches.CreateTopicAsync(_node.Port, topic, 1, ("cleanup.policy", "compact"), ("segment.bytes", "2048"),
            ("delete.retention.ms", "0"));
        var updates = new List<string>();
        for (var version = 0; version < 10; version++)
        {
            updates.AddRange(Enumerable.Range(0, 5).Select(key => $"k{key}:v{version} {new string('c', 60)}"));
        }
        updates.Add("k4:"); // a tombstone (-Z sends an empty value as null)
        // Filler under other keys pushes every update above out of the active segment, which is never compacted.
        updates.AddRange(Enumerable.Range(0, 40).Select(i => $"filler-{i}:{new string('f', 80)}"));
        await ProduceAsync(topic, [.. updates], "-K", ":", "-Z");

        // Compacted, then the tombstone dropped on a later pass (delete.retention.ms=0): one line per live key.
        var consumed = await WaitForAsync(topic, "%k=%s\\n", lines => lines.Count(line => line.StartsWith('k')) == 4);
        Assert.Equal([.. Enumerable.Range(0, 4).Select(key => $"k{key}=v9 {new string('c', 60)}")],
            consumed.Where(line => line.StartsWith('k')).ToArray());
        Assert.Equal(40, consumed.Count(line => line.StartsWith("filler-", StringComparison.Ordinal)));
    }

    private async Task ProduceAsync(string topic, string[] lines, params string[] extra)
    {
        // One record per batch: a librdkafka batch larger than segment.bytes is refused, as Kafka refuses it.
        var result = await ClientProcess.RunAsync(ClientProcess.Kcat,
            ["-b", _node.Bootstrap, "-t", topic, "-P", "-X", "batch.num.messages=1", .. extra], ClientProcess.Lines(lines));
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    private async Task<string[]> ConsumeAsync(string topic, string format)
    {
        var result = await ClientProcess.RunAsync(ClientProcess.Kcat,
            ["-b", _node.Bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", format]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Consumes from the beginning until what comes back satisfies <paramref name="done"/> (maintenance is asynchronous).</summary>
    private async Task<string[]> WaitForAsync(string topic, string format, Func<string[], bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var lines = await ConsumeAsync(topic, format);
            if ((lines.Length > 0 && done(lines)) || DateTime.UtcNow > deadline)
            {
                return lines;
            }
            await Task.Delay(300);
        }
    }
}
