using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Herald.Bench.Kafka;

/// <summary>
/// The produce load of <c>bench/run kafka</c>: librdkafka 2.0.2's producer (Debian's librdkafka1, the library under
/// kcat and confluent-kafka-python) called directly through P/Invoke, one <c>rd_kafka_t</c> per producer on its own
/// thread, each sending to its own partition.
///
/// Why not kcat: kcat reads every record as a line of a file and librdkafka copies it, which cost kcat 4.2 µs of CPU
/// per 1 KiB record. On a 2-core machine that made the client, not the broker, the bound of the 1 KiB cases. Here a
/// producer hands librdkafka 10,000 records per call (<c>rd_kafka_produce_batch</c>), all pointing at one pinned
/// payload that librdkafka does not copy: about 1.1 µs per 1 KiB record. The wire traffic is what kcat sends: the
/// same producer, batching and settings (acks, linger.ms, batch.size, no compression).
///
/// A record counts as stored when its delivery report says so (the broker acknowledged it); with acks=1 and acks=all
/// that is exactly what the broker appended.
/// </summary>
internal static unsafe partial class RdKafkaProducer
{
    private const int RecordsPerCall = 10_000;

    /// <summary>How long a producer waits for its last deliveries before it gives up on them.</summary>
    private const int FlushTimeoutMs = 120_000;

    public sealed record Result(long Delivered, long Failed, double Seconds, double ClientCpuSeconds, IReadOnlyList<string> Errors);

    /// <summary>
    /// Runs <paramref name="producers"/> producers at once, producer i sending <paramref name="recordsPerProducer"/>
    /// records of <paramref name="recordSize"/> bytes to partition i of <paramref name="topic"/>, and waits for every
    /// delivery report. Client CPU is this process's CPU time over the run: nothing else runs in it meanwhile.
    /// </summary>
    public static Result Run(string bootstrap, string topic, int producers, long recordsPerProducer, int recordSize,
        IReadOnlyDictionary<string, string> settings)
    {
        var payload = GC.AllocateArray<byte>(recordSize, pinned: true);
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + i % 26);
        }
        var handles = new nint[producers];
        var counters = (DeliveryCounters*)NativeMemory.AllocZeroed((nuint)producers, (nuint)sizeof(DeliveryCounters));
        var errors = new List<string>();
        try
        {
            for (var i = 0; i < producers; i++)
            {
                handles[i] = Create(bootstrap, settings, &counters[i]);
            }
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var threads = new Thread[producers];
            for (var i = 0; i < producers; i++)
            {
                var partition = i;
                threads[i] = new Thread(() =>
                {
                    var error = Produce(handles[partition], topic, partition, payload, recordsPerProducer);
                    if (error is not null)
                    {
                        lock (errors)
                        {
                            errors.Add($"producer {partition}: {error}");
                        }
                    }
                }) { Name = $"rdkafka producer {i}", IsBackground = true };
                threads[i].Start();
            }
            foreach (var thread in threads)
            {
                thread.Join();
            }
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            long delivered = 0, failed = 0;
            for (var i = 0; i < producers; i++)
            {
                delivered += counters[i].Delivered;
                failed += counters[i].Failed;
                if (counters[i].LastError != 0)
                {
                    errors.Add($"producer {i}: delivery failed: {ErrorName(counters[i].LastError)}");
                }
            }
            return new Result(delivered, failed, seconds, cpu, errors);
        }
        finally
        {
            foreach (var handle in handles)
            {
                if (handle != 0)
                {
                    Native.rd_kafka_destroy(handle);
                }
            }
            NativeMemory.Free(counters);
        }
    }

    private static nint Create(string bootstrap, IReadOnlyDictionary<string, string> settings, DeliveryCounters* counters)
    {
        var conf = Native.rd_kafka_conf_new();
        var error = stackalloc byte[512];
        foreach (var (name, value) in settings.Prepend(new("bootstrap.servers", bootstrap)))
        {
            if (Native.rd_kafka_conf_set(conf, name, value, error, 512) != 0)
            {
                Native.rd_kafka_conf_destroy(conf);
                throw new InvalidOperationException($"librdkafka rejected {name}={value}: {Text(error)}");
            }
        }
        Native.rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
        Native.rd_kafka_conf_set_opaque(conf, counters);
        // rd_kafka_new owns conf from here on, also when it fails.
        var handle = Native.rd_kafka_new(0, conf, error, 512);
        return handle != 0 ? handle : throw new InvalidOperationException($"rd_kafka_new failed: {Text(error)}");
    }

    /// <summary>Sends the records and waits for their delivery reports; returns an error text or null.</summary>
    private static string? Produce(nint handle, string topicName, int partition, byte[] payload, long records)
    {
        var topic = Native.rd_kafka_topic_new(handle, topicName, 0);
        if (topic == 0)
        {
            return $"rd_kafka_topic_new failed: {ErrorName(Native.rd_kafka_last_error())}";
        }
        try
        {
            var messages = new Message[RecordsPerCall];
            fixed (byte* value = payload)
            fixed (Message* batch = messages)
            {
                for (long sent = 0; sent < records;)
                {
                    var count = (int)Math.Min(RecordsPerCall, records - sent);
                    for (var i = 0; i < count; i++)
                    {
                        batch[i] = new Message { Payload = value, Length = (nuint)payload.Length };
                    }
                    // A full local queue takes part of the batch; serving delivery reports makes room for the rest.
                    for (var queued = 0; queued < count;)
                    {
                        queued += Native.rd_kafka_produce_batch(topic, partition, 0, batch + queued, count - queued);
                        if (queued < count)
                        {
                            if (batch[queued].Error != QueueFull)
                            {
                                return $"produce failed: {ErrorName(batch[queued].Error)}";
                            }
                            _ = Native.rd_kafka_poll(handle, 1);
                        }
                    }
                    sent += count;
                    _ = Native.rd_kafka_poll(handle, 0);
                }
            }
            var flushed = Native.rd_kafka_flush(handle, FlushTimeoutMs);
            return flushed == 0 ? null : $"flush: {ErrorName(flushed)}";
        }
        finally
        {
            Native.rd_kafka_topic_destroy(topic);
        }
    }

    /// <summary>librdkafka's delivery report, called from rd_kafka_poll/flush on the producer's own thread.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDelivery(nint handle, Message* message, void* opaque)
    {
        var counters = (DeliveryCounters*)opaque;
        if (message->Error == 0)
        {
            counters->Delivered++;
        }
        else
        {
            counters->Failed++;
            counters->LastError = message->Error;
        }
    }

    private const int QueueFull = -184; // RD_KAFKA_RESP_ERR__QUEUE_FULL

    private static string ErrorName(int error) => Marshal.PtrToStringUTF8(Native.rd_kafka_err2name(error)) ?? error.ToString();

    private static string Text(byte* buffer) => Marshal.PtrToStringUTF8((nint)buffer) ?? "";

    private struct DeliveryCounters
    {
        public long Delivered;
        public long Failed;
        public int LastError;
    }

    /// <summary>rd_kafka_message_t (rdkafka.h): err, rkt, partition, payload, len, key, key_len, offset, _private.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Message
    {
        public int Error;
        public nint Topic;
        public int Partition;
        public byte* Payload;
        public nuint Length;
        public nint Key;
        public nuint KeyLength;
        public long Offset;
        public nint Private;
    }

    /// <summary>The few librdkafka entry points the producer needs; none of them takes varargs.</summary>
    private static partial class Native
    {
        private const string Library = "librdkafka.so.1";

        [LibraryImport(Library)]
        public static partial nint rd_kafka_conf_new();

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int rd_kafka_conf_set(nint conf, string name, string value, byte* error, nuint errorSize);

        [LibraryImport(Library)]
        public static partial void rd_kafka_conf_destroy(nint conf);

        [LibraryImport(Library)]
        public static partial void rd_kafka_conf_set_dr_msg_cb(nint conf, delegate* unmanaged[Cdecl]<nint, Message*, void*, void> callback);

        [LibraryImport(Library)]
        public static partial void rd_kafka_conf_set_opaque(nint conf, void* opaque);

        [LibraryImport(Library)]
        public static partial nint rd_kafka_new(int type, nint conf, byte* error, nuint errorSize);

        [LibraryImport(Library)]
        public static partial void rd_kafka_destroy(nint handle);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint rd_kafka_topic_new(nint handle, string topic, nint topicConf);

        [LibraryImport(Library)]
        public static partial void rd_kafka_topic_destroy(nint topic);

        [LibraryImport(Library)]
        public static partial int rd_kafka_produce_batch(nint topic, int partition, int flags, Message* messages, int count);

        [LibraryImport(Library)]
        public static partial int rd_kafka_poll(nint handle, int timeoutMs);

        [LibraryImport(Library)]
        public static partial int rd_kafka_flush(nint handle, int timeoutMs);

        [LibraryImport(Library)]
        public static partial int rd_kafka_last_error();

        [LibraryImport(Library)]
        public static partial nint rd_kafka_err2name(int error);
    }
}
