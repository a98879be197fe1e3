using System.Buffers.Binary;
using System.Diagnostics;
using Herald.Bench.Common;
using RabbitMQ.Client;

namespace Herald.Bench.Amqp;

/// <summary>
/// The load of the <c>amqp</c> command, driven in this process with RabbitMQ.Client (async API). Every publisher and
/// every consumer has its own connection and channel, as separate applications would. Messages are persistent
/// (delivery-mode 2) and go through the default exchange to one durable classic queue shared by all publishers and
/// all consumers (the work-queue pattern). Each step connects first, then measures: wall time, the broker process's
/// CPU time (<see cref="ServerProcess.CpuSeconds"/>) and this process's CPU time (the clients).
/// </summary>
internal static class AmqpLoad
{
    /// <summary>Publisher confirms awaited at once per publisher (see <see cref="ConfirmWindow"/>).</summary>
    public const int ConfirmWindowSize = 128;

    /// <summary>basic.qos prefetch count of each consumer (RabbitMQ suggests 100-300 for throughput).</summary>
    public const ushort Prefetch = 100;

    /// <summary>How long a step may go without progress before it is reported as stalled.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private static readonly BasicProperties Persistent = new() { Persistent = true };

    private static readonly CachedString DefaultExchange = new("");

    /// <summary>
    /// <paramref name="publishers"/> publishers send <paramref name="messageSize"/>-byte persistent messages with
    /// confirms as fast as their windows allow until <paramref name="seconds"/> have passed or
    /// <paramref name="maxMessages"/> were sent, then wait for every confirm. Wall time ends at the last confirm.
    /// </summary>
    public static async Task<LoadSample> PublishAsync(AmqpBroker broker, string queue, int publishers, int messageSize,
        double seconds, long maxMessages, CancellationToken cancellationToken)
    {
        var clients = await PublisherClient.ConnectAllAsync(broker, publishers, cancellationToken);
        try
        {
            var body = new byte[messageSize];
            body.AsSpan().Fill((byte)'x');
            var routingKey = new CachedString(queue);
            var perPublisher = Math.Max(1, maxMessages / publishers);
            var meter = Meter.Start(broker);
            await Task.WhenAll(clients.Select(client => Task.Run(async () =>
            {
                for (long sent = 0; sent < perPublisher && meter.ElapsedSeconds < seconds; sent++)
                {
                    await client.PublishAsync(routingKey, body, cancellationToken);
                }
                await client.Confirms.DrainAsync().WaitAsync(StallTimeout, cancellationToken);
            }, cancellationToken)));
            var wall = meter.ElapsedSeconds;
            return meter.Stop(wall, clients.Sum(c => c.Confirms.Acked), Nacked(clients));
        }
        finally
        {
            await PublisherClient.CloseAllAsync(clients);
        }
    }

    /// <summary>
    /// <paramref name="consumers"/> consumers with manual acks (one basic.ack per message) and prefetch
    /// <see cref="Prefetch"/> drain <paramref name="expected"/> messages from the queue. Wall time ends when the last
    /// message has been received and its ack sent; the broker's CPU is read after the channels closed, so the
    /// processing of the last acks is in it.
    /// </summary>
    public static async Task<LoadSample> DrainAsync(AmqpBroker broker, string queue, int consumers, long expected,
        CancellationToken cancellationToken)
    {
        var received = new ReceivedCounter(expected);
        var clients = await ConsumerClient.ConnectAllAsync(broker, consumers, cancellationToken);
        try
        {
            var meter = Meter.Start(broker);
            foreach (var client in clients)
            {
                await client.ConsumeAsync(queue, new DrainConsumer(client.Channel, received), cancellationToken);
            }
            await received.WaitAsync(StallTimeout, cancellationToken);
            var wall = meter.ElapsedSeconds;
            await ConsumerClient.CloseAllAsync(clients);
            return meter.Stop(wall, received.Count, null);
        }
        finally
        {
            await ConsumerClient.CloseAllAsync(clients);
        }
    }

    /// <summary>
    /// <paramref name="clients"/> publishers share <paramref name="messagesPerSecond"/> (each paced to its share,
    /// with confirms) while as many consumers receive and ack; the body starts with the send time
    /// (<see cref="Stopwatch.GetTimestamp"/>, the same clock in every client of this process), so each delivery
    /// yields its end-to-end latency. Messages sent in the first <paramref name="warmUpSeconds"/> are not counted.
    /// </summary>
    public static async Task<LatencySample> LatencyAsync(AmqpBroker broker, string queue, int clients, int messageSize,
        int messagesPerSecond, double seconds, double warmUpSeconds, CancellationToken cancellationToken)
    {
        var publishers = await PublisherClient.ConnectAllAsync(broker, clients, cancellationToken);
        var consumerClients = await ConsumerClient.ConnectAllAsync(broker, clients, cancellationToken);
        try
        {
            var perPublisher = (double)messagesPerSecond / clients;
            var received = new ReceivedCounter(long.MaxValue);
            var start = Stopwatch.GetTimestamp();
            var countFrom = start + (long)(warmUpSeconds * Stopwatch.Frequency);
            var consumers = consumerClients.Select(c => new LatencyConsumer(c.Channel, received, countFrom,
                (int)(perPublisher * seconds * 1.2) + 1024)).ToList();
            for (var i = 0; i < clients; i++)
            {
                await consumerClients[i].ConsumeAsync(queue, consumers[i], cancellationToken);
            }
            var meter = Meter.Start(broker);
            await Task.WhenAll(publishers.Select(client => Task.Run(async () =>
            {
                var body = new byte[Math.Max(messageSize, sizeof(long))];
                var routingKey = new CachedString(queue);
                long sent = 0;
                while (meter.ElapsedSeconds < seconds)
                {
                    if (sent >= (long)(meter.ElapsedSeconds * perPublisher))
                    {
                        await Task.Delay(1, cancellationToken);
                        continue;
                    }
                    BinaryPrimitives.WriteInt64LittleEndian(body, Stopwatch.GetTimestamp());
                    await client.PublishAsync(routingKey, body, cancellationToken);
                    sent++;
                }
                await client.Confirms.DrainAsync().WaitAsync(StallTimeout, cancellationToken);
            }, cancellationToken)));
            var publishSeconds = meter.ElapsedSeconds;
            received.Expect(publishers.Sum(p => p.Confirms.Acked));
            await received.WaitAsync(StallTimeout, cancellationToken);
            var wall = meter.ElapsedSeconds;
            await ConsumerClient.CloseAllAsync(consumerClients);
            var sample = meter.Stop(wall, received.Count, Nacked(publishers));
            var latencies = consumers.SelectMany(c => c.LatencyTicks).Order().ToList();
            return new LatencySample(sample, received.Count / publishSeconds, latencies.Count,
                Milliseconds(Statistics.Percentile(latencies, 50)), Milliseconds(Statistics.Percentile(latencies, 99)),
                Milliseconds(Statistics.Percentile(latencies, 99.9)), Milliseconds(latencies.Count == 0 ? double.NaN : latencies[^1]));
        }
        finally
        {
            await PublisherClient.CloseAllAsync(publishers);
            await ConsumerClient.CloseAllAsync(consumerClients);
        }
    }

    private static double Milliseconds(double ticks) => ticks * 1000 / Stopwatch.Frequency;

    private static string? Nacked(IEnumerable<PublisherClient> clients)
    {
        var nacked = clients.Sum(c => c.Confirms.Nacked);
        return nacked == 0 ? null : $"{nacked} messages nacked";
    }

    public static Task<IConnection> ConnectAsync(AmqpBroker broker, string name, CancellationToken cancellationToken) =>
        new ConnectionFactory
        {
            HostName = "127.0.0.1",
            Port = broker.Port,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            ClientProvidedName = name,
        }.CreateConnectionAsync(cancellationToken);

    /// <summary>Wall time and the CPU time of the broker and of this process (the clients) from one point on.</summary>
    private sealed class Meter
    {
        private readonly AmqpBroker _broker;
        private readonly double _serverCpu;
        private readonly CpuStopwatch _client;

        private Meter(AmqpBroker broker)
        {
            _broker = broker;
            _serverCpu = broker.Process.CpuSeconds();
            _client = CpuStopwatch.StartNew();
        }

        public double ElapsedSeconds => _client.ElapsedSeconds;

        public static Meter Start(AmqpBroker broker) => new(broker);

        public LoadSample Stop(double wallSeconds, long messages, string? error) =>
            new(messages, wallSeconds, _broker.Process.CpuSeconds() - _serverCpu, _client.Sample().CpuSeconds, error);
    }

    /// <summary>One publisher: a connection and a confirm-mode channel with its <see cref="ConfirmWindow"/>.</summary>
    private sealed class PublisherClient(IConnection connection, IChannel channel)
    {
        public IConnection Connection => connection;

        public ConfirmWindow Confirms { get; } = new(channel, ConfirmWindowSize);

        public static async Task<List<PublisherClient>> ConnectAllAsync(AmqpBroker broker, int count, CancellationToken cancellationToken)
        {
            var clients = new List<PublisherClient>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var connection = await ConnectAsync(broker, $"herald-bench-publisher-{i}", cancellationToken);
                    var channel = await connection.CreateChannelAsync(
                        new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false),
                        cancellationToken);
                    clients.Add(new PublisherClient(connection, channel));
                }
                return clients;
            }
            catch
            {
                await CloseAllAsync(clients);
                throw;
            }
        }

        public async ValueTask PublishAsync(CachedString routingKey, byte[] body, CancellationToken cancellationToken)
        {
            await Confirms.WaitForSlotAsync(cancellationToken);
            Confirms.Publishing();
            await channel.BasicPublishAsync(DefaultExchange, routingKey, false, Persistent, body, cancellationToken);
        }

        public static async Task CloseAllAsync(IEnumerable<PublisherClient> clients)
        {
            foreach (var client in clients)
            {
                client.Confirms.Dispose();
                await client.Connection.DisposeAsync();
            }
        }
    }

    /// <summary>One consumer: a connection and a channel with basic.qos <see cref="Prefetch"/>.</summary>
    private sealed class ConsumerClient(IConnection connection, IChannel channel)
    {
        private bool _closed;

        public IConnection Connection => connection;

        public IChannel Channel => channel;

        public static async Task<List<ConsumerClient>> ConnectAllAsync(AmqpBroker broker, int count, CancellationToken cancellationToken)
        {
            var clients = new List<ConsumerClient>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var connection = await ConnectAsync(broker, $"herald-bench-consumer-{i}", cancellationToken);
                    var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    await channel.BasicQosAsync(0, Prefetch, false, cancellationToken);
                    clients.Add(new ConsumerClient(connection, channel));
                }
                return clients;
            }
            catch
            {
                await CloseAllAsync(clients);
                throw;
            }
        }

        public Task<string> ConsumeAsync(string queue, IAsyncBasicConsumer consumer, CancellationToken cancellationToken) =>
            channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);

        /// <summary>
        /// Closes every channel and connection not closed yet (channel.close-ok comes after the broker handled the
        /// channel's earlier acks).
        /// </summary>
        public static async Task CloseAllAsync(IEnumerable<ConsumerClient> clients)
        {
            foreach (var client in clients.Where(c => !c._closed))
            {
                client._closed = true;
                if (client.Channel.IsOpen)
                {
                    await client.Channel.CloseAsync();
                }
                await client.Connection.DisposeAsync();
            }
        }
    }

    /// <summary>Acks each delivery and counts it.</summary>
    private sealed class DrainConsumer(IChannel channel, ReceivedCounter received) : AsyncDefaultBasicConsumer(channel)
    {
        public override async Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange,
            string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        {
            await Channel.BasicAckAsync(deliveryTag, multiple: false, cancellationToken);
            received.Add();
        }
    }

    /// <summary>Records each delivery's latency from the send time in its body, then acks it.</summary>
    private sealed class LatencyConsumer(IChannel channel, ReceivedCounter received, long countFrom, int capacity)
        : AsyncDefaultBasicConsumer(channel)
    {
        /// <summary>Filled by this consumer's channel only (the client dispatches one delivery at a time per channel).</summary>
        public List<long> LatencyTicks { get; } = new(capacity);

        public override async Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange,
            string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        {
            var now = Stopwatch.GetTimestamp();
            var sent = BinaryPrimitives.ReadInt64LittleEndian(body.Span);
            if (sent >= countFrom)
            {
                LatencyTicks.Add(now - sent);
            }
            await Channel.BasicAckAsync(deliveryTag, multiple: false, cancellationToken);
            received.Add();
        }
    }

    /// <summary>Deliveries counted by all consumers of a step, and a wait until the expected number arrived.</summary>
    private sealed class ReceivedCounter(long expected)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _count;
        private long _expected = expected;

        public long Count => Interlocked.Read(ref _count);

        public void Add()
        {
            if (Interlocked.Increment(ref _count) >= Interlocked.Read(ref _expected))
            {
                _done.TrySetResult();
            }
        }

        public void Expect(long expected)
        {
            Interlocked.Exchange(ref _expected, expected);
            if (Count >= expected)
            {
                _done.TrySetResult();
            }
        }

        /// <summary>Waits until the expected count arrived; throws <see cref="TimeoutException"/> if it stops growing.</summary>
        public async Task WaitAsync(TimeSpan stallTimeout, CancellationToken cancellationToken)
        {
            var last = -1L;
            var lastProgress = Stopwatch.GetTimestamp();
            while (!_done.Task.IsCompleted)
            {
                await Task.WhenAny(_done.Task, Task.Delay(250, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                if (Count != last)
                {
                    last = Count;
                    lastProgress = Stopwatch.GetTimestamp();
                }
                else if (Stopwatch.GetElapsedTime(lastProgress) > stallTimeout)
                {
                    throw new TimeoutException($"received {Count} of {Interlocked.Read(ref _expected)} messages, none for {stallTimeout.TotalSeconds:F0} s");
                }
            }
        }
    }
}

/// <summary>What one measured step moved, in how long, and the CPU the broker and the clients spent on it.</summary>
internal sealed record LoadSample(long Messages, double WallSeconds, double ServerCpuSeconds, double ClientCpuSeconds, string? Error)
{
    public double PerSecond => Messages / WallSeconds;

    public double ServerMicrosPerMessage => ServerCpuSeconds * 1e6 / Messages;

    public double ClientMicrosPerMessage => ClientCpuSeconds * 1e6 / Messages;
}

/// <summary>A latency step: its load, the rate the publishers reached, and percentiles of the counted deliveries.</summary>
internal sealed record LatencySample(LoadSample Load, double AchievedPerSecond, int Counted, double P50Ms, double P99Ms,
    double P999Ms, double MaxMs);
