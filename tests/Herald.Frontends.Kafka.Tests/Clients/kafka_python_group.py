"""A kafka-python consumer group against a Herald broker; prints one JSON report.

Usage: kafka_python_group.py BOOTSTRAP TOPIC GROUP
Creates a 6-partition topic with 30 records. Consumer A joins alone and takes all partitions; B joins and they
split them; B closes (LeaveGroup) and A takes all six again; assignments are reported at each step. A commits what
it consumed and closes; a fresh consumer C of the same group then consumes only the 6 records produced afterwards.
"""
import json
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
report = {}

admin = KafkaAdminClient(bootstrap_servers=bootstrap)
admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
admin.close()
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")


def produce(start, count):
    for i in range(start, start + count):
        producer.send(topic, partition=i % 6, value=f"v{i}".encode())
    producer.flush(15)


def consumer():
    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500,
                         max_poll_interval_ms=10000)


def poll_until(consumers, done, seconds, sink=None):
    """Polls each consumer from its own thread: kafka-python's poll blocks while its member joins, and a join
    completes only once every other member has rejoined, which needs their polls to go on meanwhile."""
    deadline = time.time() + seconds
    lock = threading.Lock()

    def run(c):
        while time.time() < deadline and not done():
            for records in c.poll(timeout_ms=100).values():
                if sink is not None:
                    with lock:
                        sink.extend(r.value.decode() for r in records)

    threads = [threading.Thread(target=run, args=(c,)) for c in consumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done()


produce(0, 30)
a = consumer()
consumed = []
poll_until([a], lambda: len(a.assignment()) == 6 and len(consumed) >= 30, 20, consumed)
report["alone"] = sorted(tp.partition for tp in a.assignment())
b = consumer()
poll_until([a, b], lambda: len(a.assignment()) == 3 and len(b.assignment()) == 3, 20, consumed)
report["shared"] = [sorted(tp.partition for tp in c.assignment()) for c in (a, b)]
b.close()
poll_until([a], lambda: len(a.assignment()) == 6, 20, consumed)
report["after_leave"] = sorted(tp.partition for tp in a.assignment())
report["consumed"] = sorted(set(consumed))
a.commit()
a.close()

produce(30, 6)
c = consumer()
late = []
poll_until([c], lambda: len(late) >= 6, 20, late)
report["resumed"] = late
c.close()
print(json.dumps(report))
