"""A consumer group of confluent-kafka-python (librdkafka) consumers against a Herald broker; prints one JSON report.

Usage: confluent_group.py BOOTSTRAP TOPIC GROUP
Creates a 6-partition topic and produces 60 records, then three subscribed consumers of one group consume them
(polled in turn from this thread) and commit; their assignments are reported. Then 6 more records are produced and
a fresh consumer of the same group, after the others closed, reports what it consumes (it should resume from the
committed offsets). A consumer of another group with auto.offset.reset=latest reports what it sees of 6 more.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
report = {}

admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)]).values():
    future.result(timeout=15)

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})


def produce(start, count):
    for i in range(start, start + count):
        producer.produce(topic, partition=i % 6, value=f"v{i}")
    producer.flush(15)


def consumer(group_id, reset="earliest"):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id, "auto.offset.reset": reset,
                  "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                  "partition.assignment.strategy": "range"})
    c.subscribe([topic])
    return c


produce(0, 60)
members = [consumer(group) for _ in range(3)]
consumed = [[] for _ in members]
deadline = time.time() + 25
while time.time() < deadline and sum(len(c) for c in consumed) < 60:
    for i, c in enumerate(members):
        message = c.poll(0.1)
        if message is not None and message.error() is None:
            consumed[i].append(message.value().decode())
# Let every member settle on the final assignment before reading it.
for _ in range(5):
    for c in members:
        c.poll(0.1)
report["assignments"] = [sorted(tp.partition for tp in c.assignment()) for c in members]
report["consumed"] = consumed
for c in members:
    c.commit(asynchronous=False)
report["committed"] = sorted(tp.offset for tp in members[0].committed(
    [__import__("confluent_kafka").TopicPartition(topic, p) for p in range(6)], timeout=10))
for c in members:
    c.close()

produce(60, 6)
resumed = consumer(group)
latest = consumer(group + "-latest", reset="latest")
late = []
deadline = time.time() + 20
while time.time() < deadline and len(late) < 6:
    message = resumed.poll(0.2)
    if message is not None and message.error() is None:
        late.append(message.value().decode())
report["resumed"] = late

# The latest-reset consumer joined before these were produced; it must see them and nothing older.
seen = []
deadline = time.time() + 10
while time.time() < deadline and not latest.assignment():
    latest.poll(0.2)
produce(66, 6)
deadline = time.time() + 15
while time.time() < deadline and len(seen) < 6:
    message = latest.poll(0.2)
    if message is not None and message.error() is None:
        seen.append(message.value().decode())
report["latest"] = seen
resumed.close()
latest.close()
print(json.dumps(report))
