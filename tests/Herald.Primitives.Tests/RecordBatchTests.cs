using System.Text;
using Herald.Primitives.Records;

namespace Herald.Primitives.Tests;

public class RecordBatchTests
{
    [Fact]
    public void Crc32C_matches_the_rfc_3720_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(63)]
    [InlineData(-64)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Varints_round_trip_with_zigzag_encoding(int value)
    {
        Span<byte> buffer = stackalloc byte[VarInt.MaxVarIntBytes];
        var written = VarInt.Write(buffer, value);
        Assert.Equal(VarInt.SizeOf(value), written);
        Assert.True(VarInt.TryReadInt(buffer[..written], out var read, out var consumed));
        Assert.Equal(value, read);
        Assert.Equal(written, consumed);
    }

    [Fact]
    public void Varint_encoding_matches_kafkas_bytes()
    {
        Span<byte> buffer = stackalloc byte[10];
        Assert.Equal(1, VarInt.Write(buffer, -1));
        Assert.Equal(0x01, buffer[0]); // zigzag(-1) = 1
        Assert.Equal(2, VarInt.Write(buffer, 64));
        Assert.Equal(new byte[] { 0x80, 0x01 }, buffer[..2].ToArray()); // zigzag(64) = 128
        Assert.True(VarInt.TryReadLong([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], out var max, out _));
        Assert.Equal(long.MaxValue, max);
    }

    [Fact]
    public void Truncated_or_overlong_varints_are_rejected()
    {
        Assert.False(VarInt.TryReadInt([0x80], out _, out _));
        Assert.False(VarInt.TryReadInt([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out _, out _));
        Assert.False(VarInt.TryReadInt([], out _, out _));
    }

    [Fact]
    public void Built_batches_have_a_valid_header_and_records_that_read_back()
    {
        var builder = new RecordBatchBuilder(16);
        builder.Reset(1_000, producerId: 7, producerEpoch: 2, baseSequence: 5);
        builder.Add(1_000, "k1"u8, "v1"u8);
        builder.Add(2, 1_500, default, keyIsNull: true, default, valueIsNull: true, 0, default);
        var batch = builder.Build(lastOffsetDelta: 4, baseOffset: 100).ToArray();

        Assert.True(RecordBatchHeader.TryRead(batch, out var header));
        Assert.Equal(100, header.BaseOffset);
        Assert.Equal(batch.Length, header.TotalSize);
        Assert.Equal(RecordBatch.CurrentMagic, header.Magic);
        Assert.Equal(4, header.LastOffsetDelta);
        Assert.Equal(104, header.LastOffset);
        Assert.Equal(1_000, header.BaseTimestamp);
        Assert.Equal(1_500, header.MaxTimestamp);
        Assert.Equal(7, header.ProducerId);
        Assert.Equal(2, header.ProducerEpoch);
        Assert.Equal(5, header.BaseSequence);
        Assert.Equal(2, header.RecordCount);
        Assert.Equal(CompressionType.None, header.Compression);
        Assert.True(RecordBatch.IsCrcValid(batch));

        var reader = new RecordReader(batch.AsSpan(RecordBatch.HeaderSize));
        Assert.True(reader.TryReadNext(out var first));
        Assert.Equal("k1", Encoding.UTF8.GetString(first.Key));
        Assert.Equal("v1", Encoding.UTF8.GetString(first.Value));
        Assert.Equal(0, first.OffsetDelta);
        Assert.True(reader.TryReadNext(out var tombstone));
        Assert.True(tombstone.KeyIsNull);
        Assert.True(tombstone.ValueIsNull);
        Assert.Equal(2, tombstone.OffsetDelta);
        Assert.Equal(500, tombstone.TimestampDelta);
        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.IsMalformed);
    }

    [Fact]
    public void Changing_the_base_offset_keeps_the_crc_and_changing_covered_fields_breaks_it()
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(0);
        builder.Add(0, default, "x"u8);
        var batch = builder.Build().ToArray();
        RecordBatch.SetBaseOffset(batch, 42);
        RecordBatch.SetPartitionLeaderEpoch(batch, 3);
        Assert.True(RecordBatch.IsCrcValid(batch));
        batch[RecordBatch.MaxTimestampPosition] ^= 1;
        Assert.False(RecordBatch.IsCrcValid(batch));
        RecordBatch.UpdateCrc(batch);
        Assert.True(RecordBatch.IsCrcValid(batch));
    }

    [Fact]
    public void Malformed_records_are_reported_without_throwing()
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(0);
        builder.Add(0, "key"u8, "value"u8);
        var records = builder.Build()[RecordBatch.HeaderSize..].ToArray();
        for (var cut = 1; cut < records.Length; cut++)
        {
            var reader = new RecordReader(records.AsSpan(0, cut));
            Assert.False(reader.TryReadNext(out _));
            Assert.True(reader.IsMalformed);
        }
        records[0] = 0x7F; // length far past the end
        var bad = new RecordReader(records);
        Assert.False(bad.TryReadNext(out _));
        Assert.True(bad.IsMalformed);
    }

    [Fact]
    public void Offset_compares_by_value()
    {
        Assert.True(new Offset(1) < new Offset(2));
        Assert.Equal(new Offset(3), new Offset(2).Next);
        Assert.Equal("5", new Offset(5).ToString());
    }
}
