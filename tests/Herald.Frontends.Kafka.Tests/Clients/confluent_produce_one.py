"""Produces one record with confluent-kafka-python (acks=all, no retries); prints its outcome as JSON.

Usage: confluent_produce_one.py BOOTSTRAP TOPIC REQUEST_TIMEOUT_MS
Prints {"error": <librdkafka error name or null>, "offset": <offset or -1>}. The message times out locally two
seconds after the request does, so a broker that holds the request back answers (or not) before the script ends.
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, request_timeout_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "retries": 0,
    "request.timeout.ms": request_timeout_ms,
    "message.timeout.ms": request_timeout_ms + 2000,
})
outcome = {}


def on_delivery(error, message):
    outcome["error"] = error.name() if error is not None else None
    outcome["offset"] = message.offset() if error is None else -1


producer.produce(topic, value=b"held back?", on_delivery=on_delivery)
producer.flush(request_timeout_ms / 1000 + 10)
print(json.dumps({"error": outcome.get("error", "NO_REPORT"), "offset": outcome.get("offset", -1)}))
