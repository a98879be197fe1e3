#!/usr/bin/python3
"""Load generator of `bench/run kafka`: librdkafka 2.0.2 (Debian python3-confluent-kafka) against a
running Herald. One mode per invocation; the last line of stdout is a JSON report that the C# side reads.

Modes:
  topics    create (or delete) topics through the admin API
  consume   one consumer reading partitions from the start until it has a given number of records
  latency   a producer at a fixed rate and a consumer in the same process; payloads carry the send time

Every mode reports the client's CPU time (user + system: Python plus librdkafka's threads), so the report
can show whether the client rather than the broker was the bottleneck, and, given --server-pid, the broker's CPU
time over exactly the measured interval (from /proc/<pid>/stat).
"""

import argparse
import json
import os
import resource
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(values):
    print(json.dumps(values), flush=True)




def topics(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    names = [f"{args.prefix}{i}" for i in range(args.count)] if args.count else args.names
    started = time.monotonic()
    for first in range(0, len(names), args.chunk):
        chunk = names[first:first + args.chunk]
        if args.delete:
            futures = admin.delete_topics(chunk, operation_timeout=60)
        else:
            futures = admin.create_topics(
                [NewTopic(name, num_partitions=args.partitions, replication_factor=1) for name in chunk],
                operation_timeout=60)
        for name, future in futures.items():
            try:
                future.result(timeout=120)
            except Exception as error:  # an existing topic is fine when creating; report anything else
                code = error.args[0].code() if error.args and hasattr(error.args[0], "code") else None
                if code != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    report({"topics": len(names), "seconds": time.monotonic() - started})


def server_cpu_seconds(pid):
    """utime + stime of the broker process (fields 14 and 15 of /proc/<pid>/stat, in clock ticks)."""
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def consume(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "herald-bench",
        "enable.auto.commit": False,
        "fetch.min.bytes": 1,
        "fetch.wait.max.ms": 100,
        "fetch.message.max.bytes": 1048576,
        "fetch.max.bytes": 52428800,
        "queued.min.messages": 1000000,
        "queued.max.messages.kbytes": 1048576,
        "enable.partition.eof": False,
    })
    consumer.assign([TopicPartition(args.topic, p, 0) for p in range(args.partitions)])
    server_before = server_cpu_seconds(args.server_pid)
    cpu_start = cpu_seconds()
    started = time.monotonic()
    deadline = started + args.seconds
    received = 0
    received_bytes = 0
    while received < args.records and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=10000, timeout=0.5):
            if message.error() is None:
                received += 1
                received_bytes += len(message.value())
    seconds = time.monotonic() - started
    cpu = cpu_seconds() - cpu_start
    server_after = server_cpu_seconds(args.server_pid)
    consumer.close()
    report({"records": received, "bytes": received_bytes, "seconds": seconds, "clientCpuSeconds": cpu,
            "serverCpuSeconds": None if server_before is None else server_after - server_before})


def wait_until_consuming(producer, consumer, topic, padding):
    """Sends one record stamped 0 (which the measurement skips) and polls until it arrives; returns the seconds taken."""
    started = time.monotonic()
    producer.produce(topic, struct.pack("<q", 0) + padding, partition=0)
    producer.flush(30)
    while time.monotonic() - started < 30:
        message = consumer.poll(0.1)
        if message is not None and message.error() is None:
            return time.monotonic() - started
    raise RuntimeError("the latency consumer received nothing within 30 s")


def latency(args):
    """Sends args.rate records/s (payload: 8-byte send time in ns, then padding) and receives them in this process."""
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "herald-bench-latency",
        "enable.auto.commit": False,
        "fetch.min.bytes": 1,
        "fetch.wait.max.ms": 500,
        "enable.partition.eof": False,
    })
    consumer.assign([TopicPartition(args.topic, 0, 0)])
    # Latency, not throughput: every record leaves at once (linger 0) and needs no delivery callback.
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": args.acks, "linger.ms": args.linger_ms,
                         "compression.type": "none", "delivery.report.only.error": True})
    producer.list_topics(args.topic, timeout=30)
    padding = bytes(max(args.size - 8, 0))
    # The clock starts once the consumer is fetching: one record sent and received first. A fixed head start is not
    # enough: librdkafka's first fetch can come a second after assign() on a busy machine, and every record sent
    # before it then waits for it, so the first tenths of a second after the warm-up held a backlog of 100-250 ms
    # latencies that set the p99 (seen as records durable long before the first Fetch request reached the broker).
    consumer_ready_s = wait_until_consuming(producer, consumer, args.topic, padding)
    warmup_ns = int(args.warmup * 1e9)
    total = int(args.rate * args.seconds)
    done = threading.Event()
    latencies = []
    start_ns = time.perf_counter_ns() + 20_000_000  # the consumer's next fetch is in flight by then

    def send():
        interval_ns = 1e9 / args.rate
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter_ns() - start_ns) / interval_ns) + 1) if time.perf_counter_ns() >= start_ns else 0
            while sent < due:
                producer.produce(args.topic, struct.pack("<q", time.perf_counter_ns()) + padding, partition=0)
                sent += 1
            producer.poll(0)
            time.sleep(0.0002)
        producer.flush(30)
        done.set()

    server_before = server_cpu_seconds(args.server_pid)
    cpu_start = cpu_seconds()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received = 0
    deadline = time.monotonic() + args.seconds + 30
    while received < total and time.monotonic() < deadline:
        message = consumer.poll(0.1)
        if message is None or message.error() is not None:
            continue
        now = time.perf_counter_ns()
        sent_ns = struct.unpack_from("<q", message.value())[0]
        if sent_ns < start_ns:
            continue  # an earlier run's record in a reused topic
        received += 1
        if sent_ns - start_ns >= warmup_ns:
            latencies.append(now - sent_ns)
    sender.join(30)
    cpu = cpu_seconds() - cpu_start
    server_after = server_cpu_seconds(args.server_pid)
    consumer.close()
    latencies.sort()

    def percentile(p):
        if not latencies:
            return None
        rank = max(1, int(-(-p * len(latencies) // 100)))
        return latencies[min(rank, len(latencies)) - 1] / 1e6

    report({"records": received, "sent": total, "samples": len(latencies), "consumerReadySeconds": consumer_ready_s,
            "p50Ms": percentile(50),
            "p99Ms": percentile(99), "p999Ms": percentile(99.9), "maxMs": latencies[-1] / 1e6 if latencies else None,
            "clientCpuSeconds": cpu, "serverCpuSeconds": None if server_before is None else server_after - server_before})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["topics", "consume", "latency"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--names", nargs="*", default=[])
    parser.add_argument("--prefix", default="scale-")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--delete", action="store_true")
    parser.add_argument("--partition", type=int, default=0)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--records", type=int, default=10**9)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--linger-ms", type=float, default=5)
    parser.add_argument("--batch-bytes", type=int, default=1048576)
    parser.add_argument("--producers", type=int, default=1)
    parser.add_argument("--server-pid", type=int, default=0, help="broker process whose CPU time to report")
    parser.add_argument("--rate", type=float, default=10000)
    parser.add_argument("--warmup", type=float, default=0.5)
    args = parser.parse_args()
    {"topics": topics, "consume": consume, "latency": latency}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
