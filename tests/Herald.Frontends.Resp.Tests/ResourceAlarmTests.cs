using System.Globalization;
using Herald.Broker.Resources;
using Herald.Server;

namespace Herald.Frontends.Resp.Tests;

/// <summary>
/// Under Herald's memory alarm, commands Redis flags <c>denyoom</c> get Redis's OOM error (as above its maxmemory);
/// under the disk alarm, commands flagged <c>write</c> get a MISCONF error (as Redis when it cannot persist). Reads
/// and PUBLISH go on, and writes are accepted again once the alarm clears. redis-py
/// (clients/python/redis_py_alarm.py) against a node of its own, whose alarms are raised as the management tools do.
/// </summary>
public sealed class ResourceAlarmTests : IAsyncLifetime
{
    private readonly HeraldNode _node = new();

    private HeraldInstance Instance => _node.Instance;

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Writes_are_refused_with_OOM_or_MISCONF_while_an_alarm_is_in_effect_and_accepted_after()
    {
        await RunAsync("none");

        Instance.Resources.SetMemoryHighWatermark(MemoryHighWatermark.Absolute(1));
        await RunAsync("memory");
        Instance.Resources.SetMemoryHighWatermark(MemoryHighWatermark.Default);

        Instance.Resources.SetDiskFreeLimit(long.MaxValue); // no filesystem has this much free space
        await RunAsync("disk");
        Instance.Resources.SetDiskFreeLimit(0);

        await RunAsync("none");
    }

    private async Task RunAsync(string alarm)
    {
        var port = _node.Port.ToString(CultureInfo.InvariantCulture);
        var result = await ClientProcess.RunAsync(ClientProcess.Python, ["python/redis_py_alarm.py", port, "alarm-stream", alarm]);
        Assert.True(result.ExitCode == 0, $"{alarm}: {result}");
    }
}
