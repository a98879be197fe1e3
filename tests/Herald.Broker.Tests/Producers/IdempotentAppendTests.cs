using Herald.Broker.Producers;
using Herald.Broker.Tests.Topics;
using Herald.Broker.Topics;
using Herald.Primitives.Records;

namespace Herald.Broker.Tests.Producers;

/// <summary>Idempotent batches through <see cref="Partition.Append"/> on real storage, producer ids, and both across restarts.</summary>
public sealed class IdempotentAppendTests
{
    private static byte[] Batch(long producerId, short epoch, int baseSequence, int count)
    {
        var builder = new RecordBatchBuilder();
        builder.Reset(1_700_000_000_000, producerId: producerId, producerEpoch: epoch, baseSequence: baseSequence);
        for (var i = 0; i < count; i++)
        {
            builder.Add(1_700_000_000_000 + i, [(byte)'k'], [(byte)i]);
        }
        return builder.Build().ToArray();
    }

    [Fact]
    public async Task A_duplicate_gets_the_original_offset_and_nothing_is_appended()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("idem", 1, [], false)).Topic!.Partitions[0];
        await partition.Append(Batch(-1, -1, -1, 3)).Durable; // a plain producer first: offsets 0-2

        var first = partition.Append(Batch(42, 0, 0, 4));
        var second = partition.Append(Batch(42, 0, 4, 2));
        var retry = partition.Append(Batch(42, 0, 0, 4));
        await retry.Durable;

        Assert.Equal((TopicError.None, 3L, 7L), (first.Error, first.BaseOffset.Value, second.BaseOffset.Value));
        Assert.Equal((TopicError.None, 3L), (retry.Error, retry.BaseOffset.Value));
        Assert.Equal(9, partition.LogEndOffset.Value);
    }

    [Fact]
    public async Task The_same_batch_racing_in_from_many_threads_is_appended_once()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("race", 1, [], false)).Topic!.Partitions[0];
        const int threads = 8, batches = 50;
        // Eight threads send every batch at the same moment, as eight connections retrying one producer's request
        // would: exactly one may append it, the others must be answered with its offset.
        using var start = new Barrier(threads);
        var results = await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(() =>
        {
            var answers = new List<(TopicError, long)>();
            for (var b = 0; b < batches; b++)
            {
                start.SignalAndWait();
                var result = partition.Append(Batch(77, 0, b * 2, 2));
                answers.Add((result.Error, result.BaseOffset.Value));
            }
            return answers;
        })));

        Assert.Equal(batches * 2, partition.LogEndOffset.Value);
        Assert.All(results, answers => Assert.Equal(Enumerable.Range(0, batches).Select(b => (TopicError.None, b * 2L)), answers));
    }

    [Fact]
    public async Task Gaps_and_old_epochs_are_refused_and_store_nothing()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var partition = (await fixture.Broker.Topics.CreateAsync("idem", 1, [], false)).Topic!.Partitions[0];
        await partition.Append(Batch(5, 1, 0, 2)).Durable;

        var gap = partition.Append(Batch(5, 1, 3, 1));
        var oldEpoch = partition.Append(Batch(5, 0, 2, 1));
        var newEpochNotAtZero = partition.Append(Batch(5, 2, 2, 1));

        Assert.Equal(TopicError.OutOfOrderSequenceNumber, gap.Error);
        Assert.Equal(TopicError.InvalidProducerEpoch, oldEpoch.Error);
        Assert.Equal(TopicError.OutOfOrderSequenceNumber, newEpochNotAtZero.Error);
        Assert.Equal(2, partition.LogEndOffset.Value);
        Assert.Equal(TopicError.None, partition.Append(Batch(5, 1, 2, 1)).Error);
    }

    [Fact]
    public async Task Producer_state_is_rebuilt_from_the_log_after_a_restart()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var topic = (await fixture.Broker.Topics.CreateAsync("idem", 1, [], false)).Topic!;
        for (var i = 0; i < 7; i++)
        {
            await topic.Partitions[0].Append(Batch(9, 0, i * 3, 3)).Durable;
            await topic.Partitions[0].Append(Batch(-1, -1, -1, 1)).Durable;
        }

        await fixture.ReopenAsync();

        fixture.Broker.Topics.TryGet("idem", out var reopened);
        var partition = reopened!.Partitions[0];
        var retry = partition.Append(Batch(9, 0, 18, 3)); // the last batch before the restart, at offsets 24-26
        var oldestKept = partition.Append(Batch(9, 0, 6, 3)); // the third of seven, at offsets 8-10: the oldest of the last five
        var older = partition.Append(Batch(9, 0, 3, 3)); // the second of seven: no longer kept
        var next = partition.Append(Batch(9, 0, 21, 1));
        var bumpedNotAtZero = partition.Append(Batch(9, 1, 22, 1)); // the epoch survived the restart too

        Assert.Equal((TopicError.None, 24L), (retry.Error, retry.BaseOffset.Value));
        Assert.Equal((TopicError.None, 8L), (oldestKept.Error, oldestKept.BaseOffset.Value));
        Assert.Equal(TopicError.OutOfOrderSequenceNumber, older.Error);
        Assert.Equal((TopicError.None, 28L), (next.Error, next.BaseOffset.Value));
        Assert.Equal(TopicError.OutOfOrderSequenceNumber, bumpedNotAtZero.Error);
    }

    [Fact]
    public async Task Producer_ids_never_repeat_across_restarts()
    {
        await using var fixture = await BrokerFixture.StartAsync();
        var before = new HashSet<long>();
        for (var i = 0; i < 5; i++)
        {
            before.Add(await fixture.Broker.ProducerIds.AllocateAsync());
        }

        await fixture.ReopenAsync();
        var after = await fixture.Broker.ProducerIds.AllocateAsync();

        Assert.Equal(5, before.Count);
        Assert.True(after > before.Max(), $"{after} was handed out again after a restart");
        Assert.Equal(ProducerIdAllocator.BlockSize, after); // the rest of the first block is skipped, not reused
    }
}
