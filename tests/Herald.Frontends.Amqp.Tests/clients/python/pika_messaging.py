"""pika (Debian python3-pika) against Herald: one scenario per run, results as JSON on stdout.

usage: pika_scenarios.py PORT SCENARIO UNIQUE
"""
import json
import sys
import time

import pika

port, scenario, unique = int(sys.argv[1]), sys.argv[2], sys.argv[3]
params = pika.ConnectionParameters(host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest"))


def work_queue():
    """Confirmed persistent publishes, two competing consumers with prefetch 3 and manual acks."""
    connection = pika.BlockingConnection(params)
    publisher = connection.channel()
    publisher.confirm_delivery()
    queue = "pika-work-" + unique
    publisher.queue_declare(queue, durable=True)
    for i in range(60):
        publisher.basic_publish("", queue, f"job {i}".encode(), pika.BasicProperties(delivery_mode=2), mandatory=True)
    received = {"a": [], "b": []}
    channels = {}
    for name in ("a", "b"):
        channel = connection.channel()
        channel.basic_qos(prefetch_count=3)

        def on_message(ch, method, properties, body, name=name):
            received[name].append(body.decode())
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(queue, on_message)
        channels[name] = channel
    deadline = time.time() + 20
    while len(received["a"]) + len(received["b"]) < 60 and time.time() < deadline:
        connection.process_data_events(time_limit=0.1)
    print(json.dumps({"a": len(received["a"]), "b": len(received["b"]), "all": sorted(received["a"] + received["b"])}))
    connection.close()


def topic_and_dead_letter():
    """Topic routing, then a rejected message dead-lettered with x-death, then a mandatory return."""
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    exchange = "pika-topic-" + unique
    channel.exchange_declare(exchange, "topic")
    result = channel.queue_declare("", exclusive=True)
    routed = result.method.queue
    channel.queue_bind(routed, exchange, "a.*.c")
    for key in ("a.b.c", "a.c", "a.x.c", "a.b.c.d"):
        channel.basic_publish(exchange, key, key.encode())
    keys = []
    for _ in range(50):
        method, properties, body = channel.basic_get(routed, auto_ack=True)
        if method is None:
            if keys:
                break
            time.sleep(0.05)
            continue
        keys.append(body.decode())

    dlx = "pika-dlx-" + unique
    channel.exchange_declare(dlx, "fanout")
    dead = channel.queue_declare("pika-dead-" + unique).method.queue
    channel.queue_bind(dead, dlx)
    source = channel.queue_declare("pika-src-" + unique, arguments={"x-dead-letter-exchange": dlx}).method.queue
    channel.basic_publish("", source, b"bad", pika.BasicProperties(headers={"attempt": 1}))
    method, _, _ = channel.basic_get(source)
    channel.basic_reject(method.delivery_tag, requeue=False)
    death = None
    for _ in range(50):
        method, properties, body = channel.basic_get(dead, auto_ack=True)
        if method is not None:
            x_death = properties.headers["x-death"][0]
            death = {"reason": x_death["reason"], "queue": x_death["queue"], "count": x_death["count"],
                     "attempt": properties.headers["attempt"]}
            break
        time.sleep(0.05)

    returned = []
    channel.add_on_return_callback(lambda ch, method, properties, body: returned.append(method.reply_code))
    channel.basic_publish("amq.direct", "nowhere-" + unique, b"x", mandatory=True)
    connection.process_data_events(time_limit=0.5)
    print(json.dumps({"keys": keys, "death": death, "returned": returned}))
    connection.close()


def recover_and_internal():
    """basic.recover redelivers unacked messages; publishing to an internal exchange closes the channel with 403."""
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    queue = channel.queue_declare("pika-recover-" + unique).method.queue
    channel.basic_publish("", queue, b"again")
    deliveries = []
    channel.basic_consume(queue, lambda ch, method, properties, body: deliveries.append(method.redelivered))
    deadline = time.time() + 10
    while not deliveries and time.time() < deadline:
        connection.process_data_events(time_limit=0.05)
    channel.basic_recover(requeue=True)
    while len(deliveries) < 2 and time.time() < deadline:
        connection.process_data_events(time_limit=0.05)

    inner = "pika-internal-" + unique
    channel.exchange_declare(inner, "fanout", internal=True)
    refused = None
    try:
        channel.basic_publish(inner, "", b"x")
        channel.queue_declare("", exclusive=True)
    except pika.exceptions.ChannelClosedByBroker as error:
        refused = error.reply_code
    print(json.dumps({"redelivered": deliveries, "internal": refused}))
    connection.close()


{"work_queue": work_queue, "topic_and_dead_letter": topic_and_dead_letter, "recover_and_internal": recover_and_internal}[scenario]()
