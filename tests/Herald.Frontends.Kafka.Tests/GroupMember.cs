using System.Text.Json;
using Herald.TestKit;

namespace Herald.Frontends.Kafka.Tests;

/// <summary>
/// A real client process that is one member of a consumer group (Clients/confluent_member.py or
/// Clients/node/kafkajs-member.js) and prints a JSON line per event: its assignments, revocations and records. The
/// test reads those lines as they arrive; disposing kills the process by id (SIGKILL, as <see cref="Kill"/>).
/// </summary>
public sealed class GroupMember : IDisposable
{
    private readonly ProcessRunner _process;

    private GroupMember(string name, ProcessRunner process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public static GroupMember Librdkafka(string name, string bootstrap, string topic, string group, string assignor = "range",
        string? instanceId = null) =>
        new(name, ProcessRunner.Start(ClientProcess.Python,
        [
            Path.Combine(AppContext.BaseDirectory, "Clients", "confluent_member.py"), bootstrap, topic, group, assignor,
            .. instanceId is null ? Array.Empty<string>() : [instanceId],
        ]));

    public static GroupMember Kafkajs(string name, string bootstrap, string topic, string group) =>
        new(name, ProcessRunner.Start("node", ["kafkajs-member.js", bootstrap, topic, group],
            Path.Combine(ClientProcess.RepositoryRoot, "tests", "Herald.Frontends.Kafka.Tests", "Clients", "node")));

    private IEnumerable<JsonElement> Events => _process.StandardOutputLines
        .Where(l => l.StartsWith('{'))
        .Select(l => JsonDocument.Parse(l).RootElement);

    /// <summary>Every assignment received so far, oldest first.</summary>
    public IReadOnlyList<int[]> Assignments => [.. Events
        .Where(e => e.GetProperty("event").GetString() == "assigned")
        .Select(e => e.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()).ToArray())];

    /// <summary>The current assignment (empty before the first).</summary>
    public int[] Assignment => Assignments is { Count: > 0 } all ? all[^1] : [];

    public int Revocations => Events.Count(e => e.GetProperty("event").GetString() == "revoked");

    public IReadOnlyList<string> Messages => [.. Events
        .Where(e => e.GetProperty("event").GetString() == "message")
        .Select(e => e.GetProperty("value").GetString()!)];

    public void Kill() => _process.KillHard();

    /// <summary>Waits until <paramref name="condition"/> holds, failing with what the members printed if it does not in time.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, params GroupMember[] members)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout}; " + string.Join("; ", members.Select(m => m.Describe())));
            }
            await Task.Delay(50);
        }
    }

    public string Describe() =>
        $"{Name}: assignments [{string.Join(" ", Assignments.Select(a => "[" + string.Join(",", a) + "]"))}], " +
        $"{Messages.Count} messages, exited {_process.HasExited}, stderr: {string.Join(" | ", _process.StandardErrorLines.TakeLast(5))}";

    public void Dispose() => _process.Dispose();
}
