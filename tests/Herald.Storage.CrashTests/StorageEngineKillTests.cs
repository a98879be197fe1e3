using System.Globalization;
using System.Text;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.CrashAppender;
using Herald.TestKit;
using Xunit.Abstractions;

namespace Herald.Storage.CrashTests;

/// <summary>
/// reliability.md D1 on one log: a real process (Herald.Storage.CrashAppender) appends from four writers under
/// <c>FsyncPolicy.Always</c> on the real disk and is killed with SIGKILL at a random moment, again and again on the
/// same data directory. After each kill the test opens the log in process and checks it with the §2.2 checkers:
/// "lost" (every acknowledged record is at its offset), "inconsistent-offset" (with the value acknowledged, also for
/// records acknowledged in earlier cycles), "unexpected" and "duplicate" (every record is one the appender wrote, once),
/// no holes (offsets contiguous from 0), every batch CRC-valid, and the log not damaged. It then closes the log
/// cleanly, so the next appender start also exercises the clean-shutdown path.
/// <c>HERALD_CRASH_CYCLES</c> changes the number of kills (20 by default); <c>HERALD_CRASH_SEED</c> the seed of the
/// kill delays and of the appender's records.
/// </summary>
public class StorageEngineKillTests(ITestOutputHelper output)
{
    private const int DefaultCycles = 20;

    /// <summary>Cold dotnet start on a busy two-core machine, with margin.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_acknowledged_record_survives_repeated_kill_9_of_an_appending_process()
    {
        var cycles = ReadPositive("HERALD_CRASH_CYCLES") ?? DefaultCycles;
        var seed = ReadPositive("HERALD_CRASH_SEED") ?? 1;
        var random = new Random(seed);
        var appender = Path.Combine(AppContext.BaseDirectory, "crash-appender", "Herald.Storage.CrashAppender.dll");
        Assert.True(File.Exists(appender), $"The crash appender was not copied next to the tests: {appender}");
        using var data = new TempDirectory();
        var acknowledged = new Dictionary<long, (string Key, uint Crc)>();
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var context = $"cycle {cycle} of {cycles} (HERALD_CRASH_SEED={seed})";
            var delay = random.Next(100, 801);
            var appenderSeed = (seed * 10_000) + cycle; // distinct per cycle, so every key in the log is unique
            IReadOnlyList<string> lines;
            using (var child = ProcessRunner.StartDotnet(appender,
                       [data.Path, appenderSeed.ToString(CultureInfo.InvariantCulture)]))
            {
                await child.WaitForLineAsync(line => line == CrashRecord.ReadyLine, StartTimeout);
                await Task.Delay(delay);
                Assert.False(child.HasExited,
                    $"{context}: the appender exited by itself:{Environment.NewLine}{string.Join(Environment.NewLine, child.StandardErrorLines)}");
                child.KillHard();
                await child.WaitForExitAsync(TimeSpan.FromSeconds(10)); // and its output read to the end
                lines = child.StandardOutputLines;
            }
            var newAcks = CollectAcknowledgements(lines, acknowledged, context);
            var records = await VerifyLogAsync(data.Path, acknowledged, context);
            output.WriteLine($"{context}: killed {delay} ms after ready, {newAcks} new acks, {records} records in the log");
        }
        Assert.True(acknowledged.Count > 0, "No append was ever acknowledged, so nothing was checked.");
    }

    /// <summary>Adds this run's ack lines; an offset acknowledged twice must carry the same record both times.</summary>
    private static int CollectAcknowledgements(IReadOnlyList<string> lines, Dictionary<long, (string Key, uint Crc)> acknowledged,
        string context)
    {
        var count = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line == CrashRecord.ReadyLine)
            {
                continue;
            }
            if (!CrashRecord.TryParseAck(line, out var offset, out var key, out var crc))
            {
                // Only the last line may be cut short by the kill.
                Assert.True(i == lines.Count - 1, $"{context}: malformed appender output line {i}: {line}");
                continue;
            }
            if (acknowledged.TryGetValue(offset, out var earlier) && earlier != (key, crc))
            {
                Assert.Fail($"{context}: [inconsistent-offset] offset {offset} was acknowledged as {earlier.Key} and now as {key}");
            }
            acknowledged[offset] = (key, crc);
            count++;
        }
        return count;
    }

    /// <summary>Opens the log in process, reads it whole and checks it against every acknowledgement so far.</summary>
    private static async Task<long> VerifyLogAsync(string dataDirectory, Dictionary<long, (string Key, uint Crc)> acknowledged,
        string context)
    {
        var engine = StorageEngine.Open(new StorageEngineOptions
        {
            DataDirectory = dataDirectory,
            DefaultLogOptions = CrashRecord.LogOptions,
        });
        try
        {
            var log = engine.OpenLog(CrashRecord.LogName, CrashRecord.LogOptions);
            if (log.DamageReason is { } reason)
            {
                Assert.Fail($"{context}: [damaged] the log reopened damaged after kill -9: {reason}");
            }
            Assert.Equal(0, log.LogStartOffset.Value);
            Assert.Equal(log.NextOffset, log.HighWatermark);

            var stored = new Dictionary<long, (string Key, uint Crc)>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var buffer = new byte[1 << 20];
            long next = 0;
            while (next < log.HighWatermark.Value)
            {
                using var slice = log.Read(new Offset(next), buffer.Length);
                if (slice.IsEmpty)
                {
                    Assert.Fail($"{context}: [lost] Read({next}) returned nothing below the high watermark {log.HighWatermark}");
                }
                if (buffer.Length < slice.Length)
                {
                    buffer = new byte[slice.Length];
                }
                int whole;
                try
                {
                    whole = slice.CopyTo(buffer); // checks every batch's CRC-32C
                }
                catch (Log.LogDamagedException e)
                {
                    Assert.Fail($"{context}: [damaged] reading from offset {next}: {e.Message}");
                    throw;
                }
                for (var position = 0; position < whole;)
                {
                    RecordBatchHeader.TryRead(buffer.AsSpan(position), out var header);
                    var size = (int)header.TotalSize;
                    if (header.BaseOffset != next)
                    {
                        Assert.Fail($"{context}: [hole] the batch after offset {next - 1} starts at {header.BaseOffset}");
                    }
                    var reader = new RecordReader(buffer.AsSpan(position + RecordBatch.HeaderSize, size - RecordBatch.HeaderSize));
                    while (reader.TryReadNext(out var record))
                    {
                        var offset = header.BaseOffset + record.OffsetDelta;
                        var key = Encoding.ASCII.GetString(record.Key);
                        if (offset != next)
                        {
                            Assert.Fail($"{context}: [hole] record {key} is at offset {offset}, expected {next}");
                        }
                        if (!record.Value.SequenceEqual(CrashRecord.Value(key)))
                        {
                            Assert.Fail($"{context}: [unexpected] offset {offset} holds a value the appender never wrote for {key}");
                        }
                        if (!keys.Add(key))
                        {
                            Assert.Fail($"{context}: [duplicate] {key} is stored twice (again at offset {offset})");
                        }
                        stored[offset] = (key, Crc32C.Compute(record.Value));
                        next++;
                    }
                    Assert.False(reader.IsMalformed, $"{context}: the batch at offset {header.BaseOffset} has malformed records");
                    Assert.Equal(header.LastOffset + 1, next);
                    position += size;
                }
            }
            Assert.Equal(log.NextOffset.Value, next);

            foreach (var (offset, (key, crc)) in acknowledged)
            {
                if (!stored.TryGetValue(offset, out var found))
                {
                    Assert.Fail($"{context}: [lost] {key} was acknowledged at offset {offset} but the log ends at {next}");
                }
                if (found != (key, crc))
                {
                    Assert.Fail($"{context}: [inconsistent-offset] {key} (crc {crc:x8}) was acknowledged at offset {offset}, " +
                                $"which holds {found.Key} (crc {found.Crc:x8})");
                }
            }
            return next;
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }

    private static int? ReadPositive(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : null;
}
