"""One long-running confluent-kafka-python (librdkafka) group member; prints one JSON line per event, flushed.

Usage: confluent_member.py BOOTSTRAP TOPIC GROUP ASSIGNOR [INSTANCE_ID]
Subscribes to TOPIC as a member of GROUP with the given partition.assignment.strategy (range, roundrobin) and,
when INSTANCE_ID is given, as a static member (group.instance.id). Events: {"event": "assigned", "partitions": [...]}
after each assignment, {"event": "revoked"} before each revocation, {"event": "message", "value": ...} per record.
Runs until killed (the tests stop it with SIGKILL, which is also how they simulate a crashed member).
"""
import json
import sys

from confluent_kafka import Consumer

bootstrap, topic, group, assignor = sys.argv[1:5]
instance = sys.argv[5] if len(sys.argv) > 5 else None


def emit(event):
    print(json.dumps(event), flush=True)


config = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
          "enable.auto.commit": True, "auto.commit.interval.ms": 200, "session.timeout.ms": 6000,
          "heartbeat.interval.ms": 500, "partition.assignment.strategy": assignor}
if instance is not None:
    config["group.instance.id"] = instance
    config["session.timeout.ms"] = 10000
consumer = Consumer(config)
consumer.subscribe([topic],
                   on_assign=lambda c, ps: emit({"event": "assigned", "partitions": sorted(p.partition for p in ps)}),
                   on_revoke=lambda c, ps: emit({"event": "revoked"}))
while True:
    message = consumer.poll(0.1)
    if message is not None and message.error() is None:
        emit({"event": "message", "value": message.value().decode()})
