using Herald.Broker.Producers;

namespace Herald.Broker.Tests.Producers;

/// <summary>The sequence rules of <see cref="ProducerStateTable"/>, one rule per test, as Kafka's ProducerAppendInfo applies them.</summary>
public sealed class ProducerStateTableTests
{
    private const long Pid = 7;
    private const long Now = 1_700_000_000_000;

    private static ProducerCheck Check(ProducerStateTable table, short epoch, int first, int last) =>
        table.Check(Pid, epoch, first, last, out _, out _);

    /// <summary>Records a batch of <paramref name="count"/> records at <paramref name="offset"/>.</summary>
    private static void Record(ProducerStateTable table, short epoch, int first, int count, long offset, long pid = Pid, long now = Now) =>
        table.Record(pid, epoch, new ProducerBatch(first, ProducerStateTable.LastSequence(first, count - 1), offset, offset + count - 1,
            Task.CompletedTask), now);

    [Fact]
    public void A_producer_without_state_may_start_at_any_sequence()
    {
        var table = new ProducerStateTable();

        Assert.Equal(ProducerCheck.Append, Check(table, 0, 0, 4));
        Assert.Equal(ProducerCheck.Append, Check(table, 3, 1234, 1240));
    }

    [Fact]
    public void The_next_batch_must_start_one_past_the_last_sequence()
    {
        var table = new ProducerStateTable();
        Record(table, 0, 0, 5, offset: 100);

        Assert.Equal(ProducerCheck.Append, Check(table, 0, 5, 9));
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 0, 6, 9));
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 0, 4, 9));
    }

    [Fact]
    public void A_retry_of_any_of_the_last_five_batches_is_a_duplicate_with_the_original_offsets()
    {
        var table = new ProducerStateTable();
        for (var i = 0; i < 6; i++)
        {
            Record(table, 0, i * 2, 2, offset: 100 + i * 10);
        }

        Assert.Equal(ProducerCheck.Duplicate, table.Check(Pid, 0, 2, 3, out var oldest, out _));
        Assert.Equal((100 + 10L, 111L), (oldest.FirstOffset, oldest.LastOffset));
        Assert.Equal(ProducerCheck.Duplicate, table.Check(Pid, 0, 10, 11, out var newest, out _));
        Assert.Equal(150, newest.FirstOffset);
        // The sixth-newest batch is no longer retained: it is now merely out of order.
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 0, 0, 1));
        // Same first sequence, different last: not the same batch.
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 0, 10, 12));
    }

    [Fact]
    public void An_older_epoch_is_refused_and_a_newer_one_must_start_at_zero()
    {
        var table = new ProducerStateTable();
        Record(table, 2, 0, 3, offset: 0);

        Assert.Equal(ProducerCheck.InvalidEpoch, Check(table, 1, 3, 3));
        Assert.Equal(ProducerCheck.InvalidEpoch, Check(table, 1, 0, 2)); // a duplicate only within the same epoch
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 3, 3, 3));
        Assert.Equal(ProducerCheck.Append, Check(table, 3, 0, 0));
    }

    [Fact]
    public void A_new_epoch_forgets_the_old_epochs_batches()
    {
        var table = new ProducerStateTable();
        Record(table, 0, 0, 3, offset: 0);
        Record(table, 1, 0, 2, offset: 3);

        Assert.Equal((short)1, table.EpochOf(Pid));
        Assert.Equal(ProducerCheck.Duplicate, Check(table, 1, 0, 1));
        Assert.Equal(ProducerCheck.Append, Check(table, 1, 2, 2));
        Assert.Equal(ProducerCheck.InvalidEpoch, Check(table, 0, 0, 2));
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        Assert.Equal(int.MaxValue, ProducerStateTable.LastSequence(int.MaxValue - 2, 2));
        Assert.Equal(0, ProducerStateTable.LastSequence(int.MaxValue - 2, 3));
        Assert.Equal(4, ProducerStateTable.LastSequence(int.MaxValue, 5));

        var table = new ProducerStateTable();
        Record(table, 0, int.MaxValue - 2, 3, offset: 0); // ends exactly at int.MaxValue
        Assert.Equal(ProducerCheck.Append, Check(table, 0, 0, 9));
        Assert.Equal(ProducerCheck.OutOfOrderSequence, Check(table, 0, int.MaxValue, 9));

        Record(table, 0, 0, 10, offset: 3);
        Record(table, 0, 10, 5, offset: 13);
        var wrapping = new ProducerStateTable();
        Record(wrapping, 0, int.MaxValue - 1, 4, offset: 0); // int.MaxValue - 1 .. 1
        Assert.Equal(ProducerCheck.Append, Check(wrapping, 0, 2, 2));
        Assert.Equal(ProducerCheck.Duplicate, Check(wrapping, 0, int.MaxValue - 1, 1));
    }

    [Fact]
    public void Producers_silent_for_the_expiration_time_are_forgotten()
    {
        var table = new ProducerStateTable();
        Record(table, 0, 0, 1, offset: 0, pid: 1, now: Now);
        Record(table, 0, 0, 1, offset: 1, pid: 2, now: Now + ProducerStateTable.ExpirationMs / 2);

        table.RemoveExpired(Now + ProducerStateTable.ExpirationMs);

        Assert.Equal(1, table.Count);
        Assert.Null(table.EpochOf(1));
        Assert.Equal((short)0, table.EpochOf(2));
    }
}
