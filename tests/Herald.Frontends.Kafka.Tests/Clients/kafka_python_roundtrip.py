"""Round trip through kafka-python against a Herald broker; prints one JSON report.

Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC PARTITIONS
Creates the topic with KafkaAdminClient, produces keyed records with headers (acks=all; the default partitioner is
murmur2, as Java's), consumes them back with assign() and no group, lists offsets by time, then deletes the topic.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = {}

admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], timeout_ms=15000)

producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
before = int(time.time() * 1000) - 1
futures = []
for i in range(30):
    key = f"key-{i % 5}"
    futures.append((key, producer.send(topic, key=key.encode(), value=f"value-{i}".encode(), headers=[("n", str(i).encode())])))
producer.flush(30)
report["sent"] = [{"key": key, "partition": f.get(timeout=30).partition, "offset": f.get(timeout=30).offset} for key, f in futures]
producer.close(10)

consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, consumer_timeout_ms=3000,
                         auto_offset_reset="earliest")
assigned = [TopicPartition(topic, p) for p in range(partitions)]
consumer.assign(assigned)
report["offsets_for_times"] = [v.offset if v else None for v in consumer.offsets_for_times({tp: before for tp in assigned}).values()]
report["end_offsets"] = sorted(consumer.end_offsets(assigned).values())
consumer.seek_to_beginning()
report["consumed"] = [{"key": m.key.decode(), "value": m.value.decode(), "partition": m.partition, "offset": m.offset,
                       "headers": [[k, v.decode()] for k, v in m.headers]} for m in consumer]
consumer.close()

report["listed"] = sorted(admin.list_topics())
admin.delete_topics([topic], timeout_ms=15000)
report["after_delete"] = sorted(admin.list_topics())
admin.close()
print(json.dumps(report))
