using System.Collections.Concurrent;
using System.Text;
using Herald.TestKit;
using RabbitMQ.Client;

namespace Herald.Frontends.Amqp.Tests.Messaging;

/// <summary>
/// Durability against a real <c>herald</c> process killed with SIGKILL: every persistent message whose publisher
/// confirm arrived is in the durable queue after the restart (the confirm goes out only once it is fsynced).
/// </summary>
public sealed class KillNineTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private static ProcessRunner StartHerald(string dataDirectory) =>
        ProcessRunner.StartDotnet(Path.Combine(AppContext.BaseDirectory, "herald.dll"),
            ["--data-dir", dataDirectory, "--bind", "127.0.0.1", "--kafka-port", "0", "--http-port", "0", "--amqp-port", "0", "--resp-port", "0"]);

    private static async Task<int> WaitForAmqpAsync(ProcessRunner herald)
    {
        const string prefix = "herald: amqp listening on ";
        var line = await herald.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), StartTimeout);
        return int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Lets the publisher run until <paramref name="enough"/> holds (or a minute has passed), kills herald with SIGKILL,
    /// then stops the publisher and waits for it to give up.
    /// </summary>
    private static async Task KillWhenAsync(ProcessRunner herald, Func<bool> enough, Task publishing, CancellationTokenSource stop)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!enough() && DateTime.UtcNow < deadline && !publishing.IsCompleted)
        {
            await Task.Delay(20);
        }
        herald.KillHard();
        await herald.WaitForExitAsync(StartTimeout);
        stop.Cancel();
        await publishing.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Restarts herald on <paramref name="dataDirectory"/> and checks every confirmed body is in <paramref name="queue"/>.</summary>
    private static async Task AssertNoneLostAfterRestartAsync(string dataDirectory, string queue, IReadOnlyCollection<string> confirmed)
    {
        using var restarted = StartHerald(dataDirectory);
        var port = await WaitForAmqpAsync(restarted);
        await using var connection = await MessagingNode.Connect(port);
        await using var consumer = await connection.CreateChannelAsync();
        var stored = new HashSet<string>();
        while (await consumer.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            stored.Add(Encoding.UTF8.GetString(message.Body.Span));
        }
        var lost = confirmed.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {confirmed.Count} confirmed messages lost, e.g. {string.Join(", ", lost.Take(5))}");
    }

    [Fact]
    public async Task Confirmed_persistent_messages_survive_kill_minus_9()
    {
        using var data = new TempDirectory();
        const string queue = "kill9-durable";
        var confirmed = new ConcurrentBag<string>();
        using (var herald = StartHerald(data.Path))
        {
            var port = await WaitForAmqpAsync(herald);
            var connection = await MessagingNode.Connect(port);
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            using var stop = new CancellationTokenSource();
            var publishing = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var id = $"m{i}";
                    try
                    {
                        await channel.BasicPublishAsync("", queue, false, new BasicProperties { Persistent = true, MessageId = id },
                            Encoding.UTF8.GetBytes(id));
                        confirmed.Add(id);
                    }
                    catch (Exception) when (stop.IsCancellationRequested || herald.HasExited)
                    {
                        return;
                    }
                    catch (Exception)
                    {
                        return; // the connection died with the broker
                    }
                }
            });
            await KillWhenAsync(herald, () => confirmed.Count >= 1_000, publishing, stop);
            connection.Dispose();
        }
        Assert.True(confirmed.Count >= 1_000, $"only {confirmed.Count} confirms before the kill");

        await AssertNoneLostAfterRestartAsync(data.Path, queue, confirmed);
    }

    /// <summary>
    /// The same with publishes pipelined in bursts of 100 (each burst stored as one batch per read): every message
    /// whose tag a basic.ack covered, multiple or not, is there after the restart.
    /// </summary>
    [Fact]
    public async Task Confirmed_pipelined_bursts_survive_kill_minus_9()
    {
        using var data = new TempDirectory();
        const string queue = "kill9-bursts";
        ConfirmRecorder confirms;
        using (var herald = StartHerald(data.Path))
        {
            var port = await WaitForAmqpAsync(herald);
            var connection = await MessagingNode.Connect(port);
            (var channel, confirms) = await ConfirmRecorder.OpenAsync(connection);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            using var stop = new CancellationTokenSource();
            var publishing = Task.Run(async () =>
            {
                try
                {
                    for (var sent = 0; !stop.IsCancellationRequested;)
                    {
                        for (var i = 0; i < 100; i++, sent++)
                        {
                            // Tag n carries "m{n}": tags count publishes on the channel from 1.
                            await channel.BasicPublishAsync("", queue, false, new BasicProperties { Persistent = true },
                                Encoding.UTF8.GetBytes($"m{sent + 1}"));
                        }
                        while (confirms.Outcomes.Count < sent - 200 && !stop.IsCancellationRequested)
                        {
                            await Task.Delay(1);
                        }
                    }
                }
                catch (Exception)
                {
                    // the connection died with the broker
                }
            });
            await KillWhenAsync(herald, () => confirms.Outcomes.Count >= 5_000, publishing, stop);
            connection.Dispose();
        }
        var acked = confirms.Outcomes.Where(o => o.Value).Select(o => $"m{o.Key}").ToList();
        Assert.True(acked.Count >= 5_000, $"only {acked.Count} acks before the kill");
        Assert.Empty(confirms.Problems);

        await AssertNoneLostAfterRestartAsync(data.Path, queue, acked);
    }
}
