"""An idempotent producer (enable.idempotence=True, so acks=all and at most 5 requests in flight) through librdkafka.

Usage: confluent_idempotent.py BOOTSTRAP TOPIC PARTITIONS COUNT
Produces COUNT records "v-I" to partition I % PARTITIONS in many small requests, so that a proxy cutting
connections hits requests in flight; librdkafka retries them with their original sequence numbers. Prints one JSON
report: records delivered, delivery errors, and the producer's fatal error if it raised one.
"""
import json
import sys

from confluent_kafka import KafkaError, Producer

bootstrap, topic, partitions, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
delivered = []
errors = []
fatal = []


def on_delivery(error, message):
    if error is not None:
        errors.append(str(error))
    else:
        delivered.append([message.value().decode(), message.partition(), message.offset()])


def on_error(error):
    if error.fatal():
        fatal.append(str(error))


producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 2, "batch.num.messages": 20,
                     "message.timeout.ms": 60000, "retry.backoff.ms": 100, "reconnect.backoff.ms": 50,
                     "reconnect.backoff.max.ms": 200, "error_cb": on_error})
for i in range(count):
    while True:
        try:
            producer.produce(topic, value=f"v-{i}".encode(), partition=i % partitions, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    if i % 50 == 0:
        producer.poll(0.01)
remaining = producer.flush(90)
print(json.dumps({"delivered": delivered, "errors": errors, "fatal": fatal, "unflushed": remaining}))
