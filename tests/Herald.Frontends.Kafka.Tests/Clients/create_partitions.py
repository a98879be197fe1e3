"""Grows topics with the admin clients of confluent-kafka-python (librdkafka) and kafka-python; prints one JSON report.

Usage: create_partitions.py BOOTSTRAP CONFLUENT_TOPIC KAFKA_PYTHON_TOPIC
Each topic exists with one partition. Per client: a validate-only request to 4 (nothing changes), growing to 3, a
request for 2 (not an increase), then the partition count the client sees. Errors are reported by Kafka error name.
"""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewPartitions as ConfluentNewPartitions
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewPartitions as KafkaPythonNewPartitions
from kafka.errors import KafkaError

bootstrap, confluent_topic, kafka_python_topic = sys.argv[1], sys.argv[2], sys.argv[3]
report = {}


def confluent_grow(admin, count, validate_only=False):
    try:
        admin.create_partitions([ConfluentNewPartitions(confluent_topic, count)], validate_only=validate_only)[confluent_topic].result(timeout=15)
        return "NONE"
    except KafkaException as e:
        return e.args[0].name()


def confluent_count(admin):
    return len(admin.list_topics(topic=confluent_topic, timeout=10).topics[confluent_topic].partitions)


admin = AdminClient({"bootstrap.servers": bootstrap})
report["confluent"] = {
    "validate_only": confluent_grow(admin, 4, validate_only=True),
    "after_validate_only": confluent_count(admin),
    "grow": confluent_grow(admin, 3),
    "after_grow": confluent_count(admin),
    "shrink": confluent_grow(admin, 2),
}


def kafka_python_grow(admin, count, validate_only=False):
    try:
        response = admin.create_partitions({kafka_python_topic: KafkaPythonNewPartitions(count)}, validate_only=validate_only)
        return [{"error_code": error_code, "message": message} for _, error_code, message in response.topic_errors]
    except KafkaError as e:  # kafka-python raises the first topic error
        return [{"error_code": e.errno, "message": str(e)}]


kp_admin = KafkaAdminClient(bootstrap_servers=bootstrap)
kp = {"validate_only": kafka_python_grow(kp_admin, 4, validate_only=True), "grow": kafka_python_grow(kp_admin, 3),
      "shrink": kafka_python_grow(kp_admin, 2)}
kp_admin.close()
consumer = KafkaConsumer(bootstrap_servers=bootstrap)
kp["after_grow"] = len(consumer.partitions_for_topic(kafka_python_topic) or [])
consumer.close()
report["kafka_python"] = kp
print(json.dumps(report))
