using System.Security.Cryptography;
using Herald.Primitives.Records;

namespace Herald.Bench.Storage;

/// <summary>
/// Pre-built v2 record batches of equal-size records, packed up to <see cref="StorageSettings.BatchBytes"/>, so
/// that building batches (a producer's work) stays out of the measured loop. Values are random bytes, so
/// nothing on the way to the disk can profit from repetitive data. Every batch of a set has the same size.
/// </summary>
internal sealed class BatchSet
{
    /// <summary>Distinct batches per set; each writer cycles through its own copies of them.</summary>
    private const int Distinct = 16;

    /// <summary>Upper bound of a record's framing (length, attributes, deltas, key and value lengths, header count).</summary>
    private const int MaxRecordOverhead = 16;

    private readonly byte[][] _batches;

    private BatchSet(int recordSize, int recordsPerBatch, byte[][] batches)
    {
        RecordSize = recordSize;
        RecordsPerBatch = recordsPerBatch;
        _batches = batches;
    }

    public int RecordSize { get; }

    public int RecordsPerBatch { get; }

    public int BatchBytes => _batches[0].Length;

    public static BatchSet Build(int recordSize, int batchBytes)
    {
        var values = new byte[recordSize * 64];
        RandomNumberGenerator.Fill(values);
        var builder = new RecordBatchBuilder(batchBytes);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batches = new byte[Distinct][];
        var records = 0;
        for (var b = 0; b < Distinct; b++)
        {
            builder.Reset(timestamp);
            var r = 0;
            while (builder.SizeInBytes + recordSize + MaxRecordOverhead <= batchBytes)
            {
                var slot = (b * 7 + r) % 64;
                builder.Add(timestamp, default, values.AsSpan(slot * recordSize, recordSize));
                r++;
            }
            records = r;
            batches[b] = builder.Build().ToArray();
        }
        if (batches.Any(batch => batch.Length != batches[0].Length))
        {
            throw new InvalidOperationException("Batches of one set must all have the same size.");
        }
        return new BatchSet(recordSize, records, batches);
    }

    /// <summary>
    /// A private copy of the batches for one writer. Append overwrites the base offset in the buffer it is given,
    /// so writers must not share buffers; a writer may reuse its own as soon as Append returns.
    /// </summary>
    public byte[][] CopyForWriter() => _batches.Select(b => (byte[])b.Clone()).ToArray();
}
