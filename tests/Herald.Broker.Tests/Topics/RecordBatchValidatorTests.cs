using System.Buffers.Binary;
using Herald.Broker.Topics;
using Herald.Primitives.Records;

namespace Herald.Broker.Tests.Topics;

public sealed class RecordBatchValidatorTests
{
    private const long Now = 1_700_000_000_000;

    [Fact]
    public void A_well_formed_batch_passes_unchanged_on_a_CreateTime_topic()
    {
        var batch = TopicRegistryTests.Batch(3, Now);
        var original = batch.ToArray();

        var error = RecordBatchValidator.Validate(batch, TopicConfigs.Empty, 1 << 30, Now, out _);

        Assert.Equal(TopicError.None, error);
        Assert.Equal(original, batch);
    }

    [Fact]
    public void Two_batches_in_one_partition_are_an_invalid_record()
    {
        byte[] two = [.. TopicRegistryTests.Batch(1), .. TopicRegistryTests.Batch(1)];

        Assert.Equal(TopicError.InvalidRecord, RecordBatchValidator.Validate(two, TopicConfigs.Empty, 1 << 30, Now, out _));
    }

    [Fact]
    public void A_batch_shorter_than_its_length_field_is_corrupt()
    {
        var batch = TopicRegistryTests.Batch(2)[..^3];

        Assert.Equal(TopicError.CorruptMessage, RecordBatchValidator.Validate(batch, TopicConfigs.Empty, 1 << 30, Now, out _));
    }

    [Theory]
    [InlineData(RecordBatch.ControlFlag)]
    [InlineData(0x07)]
    [InlineData(0x100)]
    public void Control_batches_unknown_codecs_and_unknown_attribute_bits_are_invalid_records(short attributes)
    {
        var batch = TopicRegistryTests.Batch(1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatch.AttributesPosition), attributes);
        RecordBatch.UpdateCrc(batch);

        Assert.Equal(TopicError.InvalidRecord, RecordBatchValidator.Validate(batch, TopicConfigs.Empty, 1 << 30, Now, out _));
    }

    [Fact]
    public void A_producer_id_without_a_base_sequence_is_an_invalid_record()
    {
        var batch = TopicRegistryTests.Batch(1);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatch.ProducerIdPosition), 7);
        RecordBatch.UpdateCrc(batch);

        Assert.Equal(TopicError.InvalidRecord, RecordBatchValidator.Validate(batch, TopicConfigs.Empty, 1 << 30, Now, out _));
    }

    [Fact]
    public void A_batch_larger_than_a_segment_is_a_record_list_too_large()
    {
        var batch = TopicRegistryTests.Batch(50);

        Assert.Equal(TopicError.RecordListTooLarge, RecordBatchValidator.Validate(batch, TopicConfigs.Empty, batch.Length - 1, Now, out _));
    }

    [Fact]
    public void Timestamps_outside_the_allowed_window_are_refused()
    {
        var configs = TopicConfigs.TryCreate(
            [new("message.timestamp.before.max.ms", "60000"), new("message.timestamp.after.max.ms", "1000")], out _)!;

        var old = RecordBatchValidator.Validate(TopicRegistryTests.Batch(1, Now - 120_000), configs, 1 << 30, Now, out _);
        var future = RecordBatchValidator.Validate(TopicRegistryTests.Batch(1, Now + 5_000), configs, 1 << 30, Now, out _);
        var fine = RecordBatchValidator.Validate(TopicRegistryTests.Batch(1, Now - 1_000), configs, 1 << 30, Now, out _);

        Assert.Equal((TopicError.InvalidTimestamp, TopicError.InvalidTimestamp, TopicError.None), (old, future, fine));
    }

    [Fact]
    public void LogAppendTime_stamps_the_max_timestamp_and_the_attribute_and_recomputes_the_crc()
    {
        var configs = TopicConfigs.TryCreate([new("message.timestamp.type", "LogAppendTime")], out _)!;
        var batch = TopicRegistryTests.Batch(2, 1_000);

        var error = RecordBatchValidator.Validate(batch, configs, 1 << 30, Now, out _);

        Assert.Equal(TopicError.None, error);
        RecordBatchHeader.TryRead(batch, out var header);
        Assert.Equal((TimestampType.LogAppendTime, Now, 1_000L), (header.TimestampType, header.MaxTimestamp, header.BaseTimestamp));
        Assert.True(RecordBatch.IsCrcValid(batch));
    }

    [Fact]
    public void LogAppendTime_never_blesses_a_batch_whose_crc_was_already_wrong()
    {
        var configs = TopicConfigs.TryCreate([new("message.timestamp.type", "LogAppendTime")], out _)!;
        var batch = TopicRegistryTests.Batch(2, 1_000);
        batch[^1] ^= 1;

        Assert.Equal(TopicError.CorruptMessage, RecordBatchValidator.Validate(batch, configs, 1 << 30, Now, out _));
        RecordBatchHeader.TryRead(batch, out var header);
        Assert.Equal(TimestampType.CreateTime, header.TimestampType);
    }
}
