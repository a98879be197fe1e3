"""Round trip through confluent-kafka-python (librdkafka) against a Herald broker; prints one JSON report.

Usage: confluent_roundtrip.py BOOTSTRAP TOPIC PARTITIONS COMPRESSION
Creates the topic with the AdminClient, produces keyed records with headers (acks=all, delivery reports), looks
offsets up by time, consumes everything back by assign() (no consumer group), then deletes the topic.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, partitions, compression = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
report = {}

admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
    future.result(timeout=15)
report["created"] = sorted(admin.list_topics(timeout=10).topics.keys())

delivered = []
errors = []


def on_delivery(error, message):
    if error is not None:
        errors.append(str(error))
    else:
        delivered.append({"key": message.key().decode(), "partition": message.partition(), "offset": message.offset()})


producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.codec": compression, "linger.ms": 5})
before = int(time.time() * 1000) - 1
for i in range(40):
    producer.produce(topic, key=f"key-{i % 7}", value=f"value-{i}", headers=[("n", str(i).encode()), ("codec", compression.encode())],
                     on_delivery=on_delivery)
remaining = producer.flush(30)
report["unflushed"] = remaining
report["delivered"] = delivered
report["delivery_errors"] = errors

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False,
                     "enable.partition.eof": True})
times = consumer.offsets_for_times([TopicPartition(topic, p, before) for p in range(partitions)], timeout=15)
report["offsets_for_times"] = [tp.offset for tp in times]
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
consumed = []
eof = set()
deadline = time.time() + 30
while len(eof) < partitions and time.time() < deadline:
    message = consumer.poll(1.0)
    if message is None:
        continue
    if message.error():
        if message.error().code() == -191:  # _PARTITION_EOF
            eof.add(message.partition())
            continue
        raise KafkaException(message.error())
    consumed.append({"key": message.key().decode(), "value": message.value().decode(), "partition": message.partition(),
                     "offset": message.offset(), "headers": [[k, v.decode()] for k, v in (message.headers() or [])]})
consumer.close()
report["consumed"] = consumed

for future in admin.delete_topics([topic]).values():
    future.result(timeout=15)
report["after_delete"] = sorted(admin.list_topics(timeout=10).topics.keys())
print(json.dumps(report))
