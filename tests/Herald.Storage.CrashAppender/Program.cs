using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Herald.Primitives.Records;
using Herald.Storage;
using Herald.Storage.CrashAppender;
using Herald.Storage.Log;

// Usage: Herald.Storage.CrashAppender <data-dir> <seed>
// Opens a storage engine on <data-dir>, prints "ready", then appends to the log "crash-test" from four concurrent
// writers until killed, printing one "ack" line per record once its append is durable (see CrashRecord).
if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
{
    Console.Error.WriteLine("usage: Herald.Storage.CrashAppender <data-dir> <seed>");
    return 2;
}

var engine = StorageEngine.Open(new StorageEngineOptions { DataDirectory = args[0], DefaultLogOptions = CrashRecord.LogOptions });
var log = engine.OpenLog(CrashRecord.LogName, CrashRecord.LogOptions);

// Bounded, so writers slow down rather than buffer acks without limit if the test reads stdout slowly.
var lines = Channel.CreateBounded<string>(new BoundedChannelOptions(64 * 1024) { SingleReader = true });
var output = Task.Run(() => WriteLinesAsync(lines.Reader));
await lines.Writer.WriteAsync(CrashRecord.ReadyLine);

var writers = Enumerable.Range(0, CrashRecord.WriterCount)
    .Select(writer => Task.Run(() => AppendForeverAsync(log, seed, writer, lines.Writer)))
    .ToArray();
var failed = await Task.WhenAny(writers.Append(output));
Console.Error.WriteLine($"crash appender stopped: {failed.Exception?.GetBaseException()}");
return 1;

// One writer: batches of one to four records, each acknowledged only after its Durable task completes.
static async Task AppendForeverAsync(PartitionLog log, int seed, int writer, ChannelWriter<string> acks)
{
    var random = new Random(seed * 31 + writer);
    var builder = new RecordBatchBuilder();
    for (long sequence = 0; ; )
    {
        var count = random.Next(1, 5);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        builder.Reset(now);
        var keys = new string[count];
        var values = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            keys[i] = CrashRecord.Key(seed, writer, sequence++);
            values[i] = CrashRecord.Value(keys[i]);
            builder.Add(now, Encoding.ASCII.GetBytes(keys[i]), values[i]);
        }
        var result = log.Append(builder.Build().ToArray());
        await result.Durable;
        for (var i = 0; i < count; i++)
        {
            await acks.WriteAsync(CrashRecord.AckLine(result.BaseOffset.Value + i, keys[i], values[i]));
        }
    }
}

// The only stdout writer: flushes after each drain of the channel, so acks reach the test within microseconds but
// a busy second costs few write calls.
static async Task WriteLinesAsync(ChannelReader<string> lines)
{
    await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16)
    {
        AutoFlush = false,
        NewLine = "\n",
    };
    while (await lines.WaitToReadAsync())
    {
        while (lines.TryRead(out var line))
        {
            await stdout.WriteLineAsync(line);
        }
        await stdout.FlushAsync();
    }
}
