"""Group administration through kafka-python 2.0.2's KafkaAdminClient; prints one JSON report.

Usage: kafka_python_admin.py BOOTSTRAP TOPIC GROUP
A member of GROUP consumes a 2-partition topic; GROUP-simple gets a "simple" commit (assign() and commit, no
member). Then list_consumer_groups, describe_consumer_groups (with the member's subscription and assignment decoded
by kafka-python), list_consumer_group_offsets, and delete_consumer_groups of GROUP-simple, GROUP (still has a member)
and an unknown group, and the offsets of GROUP-simple after its deletion.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

bootstrap, topic, group = sys.argv[1:4]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-python-admin")
admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])

member = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id="kafka-python-member",
                       session_timeout_ms=6000, heartbeat_interval_ms=500)
deadline = time.time() + 20
while time.time() < deadline and not member.assignment():
    member.poll(200)

simple = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group + "-simple", enable_auto_commit=False)
simple.assign([TopicPartition(topic, 0)])
simple.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "note")})
simple.close()

described = admin.describe_consumer_groups([group])[0]
report = {
    "listed": sorted([list(g) for g in admin.list_consumer_groups()]),
    "state": described.state,
    "protocol_type": described.protocol_type,
    "protocol": described.protocol,
    "members": [{"client_id": m.client_id, "client_host": m.client_host,
                 "subscription": list(m.member_metadata.subscription),
                 "assignment": [[t, sorted(ps)] for t, ps in m.member_assignment.assignment]} for m in described.members],
    "simple_offsets": {f"{tp.topic}/{tp.partition}": [o.offset, o.metadata]
                       for tp, o in admin.list_consumer_group_offsets(group + "-simple").items()},
    "deleted": sorted([g, e.__name__] for g, e in admin.delete_consumer_groups([group + "-simple", group, group + "-unknown"])),
}
report["after_delete"] = len(admin.list_consumer_group_offsets(group + "-simple"))
member.close()
admin.close()
print(json.dumps(report))
