using System.Text;
using Herald.Primitives;
using Herald.Primitives.Records;
using Herald.Storage.Log;

namespace Herald.Storage.Tests;

/// <summary>Builds record batches and reads logs back as (offset, key, value) triples for assertions.</summary>
internal static class TestBatches
{
    public static byte[] Values(long timestamp, params string[] values)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(timestamp);
        foreach (var value in values)
        {
            builder.Add(timestamp, default, Encoding.UTF8.GetBytes(value));
        }
        return builder.Build().ToArray();
    }

    public static byte[] Keyed(long timestamp, params (string Key, string? Value)[] records)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(timestamp);
        var delta = 0;
        foreach (var (key, value) in records)
        {
            builder.Add(delta++, timestamp, Encoding.UTF8.GetBytes(key), false,
                value is null ? default : Encoding.UTF8.GetBytes(value), value is null, 0, default);
        }
        return builder.Build().ToArray();
    }

    /// <summary>A batch of <paramref name="count"/> records of <paramref name="valueSize"/> bytes.</summary>
    public static byte[] Sized(int count, int valueSize, long timestamp, byte fill = 0x41)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(timestamp);
        var value = new byte[valueSize];
        Array.Fill(value, fill);
        for (var i = 0; i < count; i++)
        {
            builder.Add(timestamp, default, value);
        }
        return builder.Build().ToArray();
    }

    public static AppendResult Append(this PartitionLog log, byte[] batch) => log.Append(batch.AsSpan());

    /// <summary>Every visible record from the log start, decoded.</summary>
    public static List<(long Offset, string? Key, string? Value, long Timestamp)> ReadAll(PartitionLog log)
    {
        var result = new List<(long, string?, string?, long)>();
        var next = log.LogStartOffset;
        while (next < log.HighWatermark)
        {
            using var slice = log.Read(next, 1 << 20);
            if (slice.IsEmpty)
            {
                break;
            }
            var buffer = new byte[slice.Length];
            var whole = slice.CopyTo(buffer);
            var p = 0;
            while (p < whole)
            {
                RecordBatchHeader.TryRead(buffer.AsSpan(p), out var header);
                var size = (int)header.TotalSize;
                using var records = log.Codecs.OpenRecords(buffer.AsSpan(p, size));
                var reader = new RecordReader(records.Span);
                while (reader.TryReadNext(out var record))
                {
                    var offset = header.BaseOffset + record.OffsetDelta;
                    if (offset >= next.Value)
                    {
                        result.Add((offset, record.KeyIsNull ? null : Encoding.UTF8.GetString(record.Key),
                            record.ValueIsNull ? null : Encoding.UTF8.GetString(record.Value),
                            header.BaseTimestamp + record.TimestampDelta));
                    }
                }
                next = new Offset(Math.Max(next.Value, header.LastOffset + 1));
                p += size;
            }
        }
        return result;
    }

    public static List<string?> ReadValues(PartitionLog log) => ReadAll(log).Select(r => r.Value).ToList();
}
