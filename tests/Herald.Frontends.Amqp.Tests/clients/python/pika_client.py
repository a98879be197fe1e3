"""pika (Debian python3-pika) against Herald, one scenario per run: python3 pika_client.py <scenario> <port>.

Prints key=value lines for Herald.Frontends.Amqp.Tests to check; exits non-zero only when the scenario itself
went wrong (an unexpected exception)."""
import sys

import pika
import pika.exceptions

scenario, port = sys.argv[1], int(sys.argv[2])


def connect(**kwargs):
    return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=port, **kwargs))


if scenario == "open-close":
    connection = connect(heartbeat=10)
    impl = connection._impl  # negotiated values are only kept on the connection implementation
    print("product=" + str(impl.server_properties["product"]))
    print("capabilities=" + ",".join(sorted(k for k, v in impl.server_properties["capabilities"].items() if v)))
    print("heartbeat=%d" % impl.params.heartbeat)
    print("frame_max=%d" % impl.params.frame_max)
    print("channel_max=%d" % impl.params.channel_max)
    channel = connection.channel()
    print("channel=%d" % channel.channel_number)
    channel.close()
    print("channel_closed=%s" % channel.is_closed)
    connection.close()
    print("connection_closed=%s" % connection.is_closed)
elif scenario == "bad-password":
    try:
        connect(credentials=pika.PlainCredentials("guest", "wrong"))
        print("connected")
    except pika.exceptions.ProbableAuthenticationError as error:
        print("auth_error=" + str(error))
elif scenario == "bad-vhost":
    try:
        connect(virtual_host="no-such-vhost")
        print("connected")
    except pika.exceptions.AMQPConnectionError as error:
        print("error=%s %s" % (type(error).__name__, error))
elif scenario == "not-implemented":
    connection = connect()
    channel = connection.channel()
    try:
        channel.basic_qos(prefetch_size=1)  # every channel method is implemented; a prefetch size is not (RabbitMQ: 540)
        print("declared")
    except pika.exceptions.ConnectionClosedByBroker as error:
        print("closed=%d %s" % (error.reply_code, error.reply_text))
else:
    raise SystemExit("unknown scenario " + scenario)
