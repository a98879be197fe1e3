namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// Memory and disk alarms hold Kafka producers back, as RabbitMQ holds back publishers: a produce that arrives while
/// an alarm is in effect stores nothing until it clears, and one still waiting at its timeout fails. Real client
/// (confluent-kafka-python); the alarms are raised on the running node the way the management tools do.
/// </summary>
public sealed class ResourceAlarmTests : IAsyncLifetime
{
    private readonly KafkaNode _node = new();

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Under_the_disk_alarm_a_produce_times_out_storing_nothing_and_succeeds_once_it_clears()
    {
        var topic = KafkaNode.UniqueTopic("alarm-disk");
        await Batches.CreateTopicAsync(_node.Port, topic);
        _node.Instance.Resources.SetDiskFreeLimit(long.MaxValue); // no filesystem has this much free space

        var blocked = (await ClientProcess.PythonScriptAsync("confluent_produce_one.py", _node.Bootstrap, topic, "1500")).Report();

        Assert.NotNull(blocked.GetProperty("error").GetString());
        _node.Instance.Resources.SetDiskFreeLimit(0);
        var accepted = (await ClientProcess.PythonScriptAsync("confluent_produce_one.py", _node.Bootstrap, topic, "10000")).Report();
        Assert.Null(accepted.GetProperty("error").GetString());
        Assert.Equal(0, accepted.GetProperty("offset").GetInt64()); // the held-back record was never stored
    }

    [Fact]
    public async Task A_produce_held_back_by_the_memory_alarm_is_stored_when_the_alarm_clears_in_time()
    {
        var topic = KafkaNode.UniqueTopic("alarm-memory");
        await Batches.CreateTopicAsync(_node.Port, topic);
        _node.Instance.Resources.SetMemoryHighWatermark(Herald.Broker.Resources.MemoryHighWatermark.Absolute(1));

        var producing = ClientProcess.PythonScriptAsync("confluent_produce_one.py", _node.Bootstrap, topic, "20000");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(producing.IsCompleted, "the produce was answered while the memory alarm was in effect");
        _node.Instance.Resources.SetMemoryHighWatermark(Herald.Broker.Resources.MemoryHighWatermark.Default);

        var report = (await producing).Report();
        Assert.Null(report.GetProperty("error").GetString());
        Assert.Equal(0, report.GetProperty("offset").GetInt64());
    }
}
