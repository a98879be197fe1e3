"""Produces one value of each requested size with confluent-kafka-python; prints the outcome of each as JSON.

Usage: confluent_sizes.py BOOTSTRAP TOPIC:BYTES...
The client's own message.max.bytes is raised so that the broker, not the client, judges the size: a refusal shows
up as the delivery error the broker sent (MSG_SIZE_TOO_LARGE is Kafka's MESSAGE_TOO_LARGE, code 10).
"""
import json
import sys

from confluent_kafka import Producer

bootstrap = sys.argv[1]
results = []
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.max.bytes": 10000000, "retries": 0})
for spec in sys.argv[2:]:
    topic, size = spec.rsplit(":", 1)
    outcome = {}

    def on_delivery(error, message, outcome=outcome):
        outcome["error"] = error.name() if error is not None else None

    producer.produce(topic, value=b"v" * int(size), on_delivery=on_delivery)
    producer.flush(30)
    results.append({"topic": topic, "size": int(size), "error": outcome.get("error", "NO_REPORT")})
print(json.dumps(results))
