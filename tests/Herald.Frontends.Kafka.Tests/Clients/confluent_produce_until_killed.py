"""Produces with acks=all until the broker dies, printing each acknowledged record as it is acknowledged.

Usage: confluent_produce_until_killed.py BOOTSTRAP TOPIC [idempotent]
With "idempotent" the producer runs with enable.idempotence=True (librdkafka's InitProducerId and sequence numbers).
Prints "acked VALUE PARTITION OFFSET" per delivery report (flushed at once, so a test can count them while this
runs) and "failed N" at the end with the number of records that were never acknowledged.
"""
import sys
import time

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
failed = 0


def on_delivery(error, message):
    global failed
    if error is not None:
        failed += 1
    else:
        print(f"acked {message.value().decode()} {message.partition()} {message.offset()}", flush=True)


idempotent = len(sys.argv) > 3 and sys.argv[3] == "idempotent"
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2, "message.timeout.ms": 4000,
                     "reconnect.backoff.max.ms": 500, "enable.idempotence": idempotent})
deadline = time.time() + 60
i = 0
while time.time() < deadline and failed == 0:
    try:
        producer.produce(topic, value=f"v-{i}".encode(), on_delivery=on_delivery)
        i += 1
    except BufferError:
        pass
    producer.poll(0.001)
producer.flush(10)
print(f"failed {failed}", flush=True)
