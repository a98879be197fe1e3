"""Commits and reads back a group's offsets with confluent-kafka-python; prints one JSON report.

Usage: confluent_commit.py BOOTSTRAP TOPIC GROUP commit|read
commit: creates a 2-partition topic, produces 10 records, and as a member of GROUP consumes them and commits
synchronously. read: reports the group's committed offsets, then consumes as a member of GROUP and reports what
it receives (nothing older than the commits).
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, group, mode = sys.argv[1:5]
report = {}
consumer_config = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                   "enable.auto.commit": False, "session.timeout.ms": 6000}
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
if mode == "commit":
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)]).values():
        future.result(timeout=15)
    for i in range(10):
        producer.produce(topic, partition=i % 2, value=f"v{i}")
    producer.flush(15)

c = Consumer(consumer_config)
if mode == "read":
    report["committed"] = [tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(2)], timeout=10)]
    for i in range(10, 14):
        producer.produce(topic, partition=i % 2, value=f"v{i}")
    producer.flush(15)
c.subscribe([topic])
received = []
want = 10 if mode == "commit" else 4
deadline = time.time() + 20
while time.time() < deadline and len(received) < want:
    message = c.poll(0.2)
    if message is not None and message.error() is None:
        received.append(message.value().decode())
report["received"] = sorted(received)
if mode == "commit":
    c.commit(asynchronous=False)
c.close()
print(json.dumps(report))
