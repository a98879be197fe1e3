"""Group administration through confluent-kafka-python 1.7 / librdkafka 2.0.2; prints one JSON report.

Usage: confluent_admin.py BOOTSTRAP TOPIC GROUP
A member of GROUP (range assignor) consumes a 2-partition topic; GROUP-simple gets a "simple" commit (no member,
generation -1). Then AdminClient.list_groups (librdkafka's ListGroups + DescribeGroups) describes every group and
GROUP alone. This binding has no delete_consumer_groups; librdkafka 2.0.2's newer admin calls are not exposed.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, group = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)]).values():
    future.result(timeout=15)

member = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "admin-test-member",
                   "partition.assignment.strategy": "range", "session.timeout.ms": 6000})
member.subscribe([topic])
deadline = time.time() + 20
while time.time() < deadline and not member.assignment():
    member.poll(0.2)

simple = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-simple", "enable.auto.commit": False})
simple.commit(offsets=[TopicPartition(topic, 0, 3)], asynchronous=False)
simple.close()


def describe(g):
    return {"id": g.id, "error": str(g.error) if g.error else None, "state": g.state, "protocol_type": g.protocol_type,
            "protocol": g.protocol,
            "members": [{"id": m.id, "client_id": m.client_id, "client_host": m.client_host,
                         "metadata": len(m.metadata), "assignment": len(m.assignment)} for m in g.members]}


report = {
    "all": sorted((describe(g) for g in admin.list_groups(timeout=10)), key=lambda g: g["id"]),
    "one": [describe(g) for g in admin.list_groups(group=group, timeout=10)],
    "assignment": sorted(tp.partition for tp in member.assignment()),
}
member.close()
print(json.dumps(report))
