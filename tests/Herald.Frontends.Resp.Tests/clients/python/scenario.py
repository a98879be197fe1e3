"""Differential scenario: the same raw RESP conversation against any server, printed reply by reply.

Usage: python3 scenario.py PORT
Each line is "<connection> <request> -> <exact reply bytes>". Run against Herald and against redis-server, the
outputs must be identical; the few facts that legitimately differ (the version, client ids, ports) are masked
here, so the comparison stays byte-exact everywhere else. Uses only the standard library (raw sockets), so what is
compared is exactly what each server put on the wire.
"""
import re
import socket
import sys
import time

PORT = int(sys.argv[1])


class Conn:
    def __init__(self, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", PORT))
        self.sock.settimeout(5)
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def line(self, start):
        while True:
            end = self.buf.find(b"\r\n", start)
            if end >= 0:
                return end
            self.fill()

    def reply_end(self, start=0):
        """Index just past one complete RESP2/RESP3 value starting at start."""
        end = self.line(start)
        kind = self.buf[start:start + 1]
        head = self.buf[start + 1:end]
        if kind in (b"$", b"=", b"!"):
            length = int(head)
            if length < 0:
                return end + 2
            while len(self.buf) < end + 2 + length + 2:
                self.fill()
            return end + 2 + length + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            count = int(head)
            if kind in (b"%", b"|"):
                count *= 2
            position = end + 2
            for _ in range(max(count, 0)):
                position = self.reply_end(position)
            return position
        return end + 2

    def read(self):
        end = self.reply_end(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def send(self, raw):
        self.sock.sendall(raw)

    def do(self, *args, replies=1, label=None):
        self.send(encode(args))
        out = [self.read() for _ in range(replies)]
        show(self.name, label or " ".join(a if isinstance(a, str) else repr(a) for a in args), b"".join(out))
        return out

    def expect_closed(self, label):
        try:
            while True:
                self.fill()
        except (EOFError, ConnectionResetError):
            show(self.name, label, b"<closed after " + self.buf + b">")


def encode(args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


MASKS = [
    (re.compile(rb"\$\d+\r\n\d+\.\d+\.\d+\r\n"), b"$<version>\r\n"),
    (re.compile(rb"(\$2\r\nid\r\n:)\d+"), rb"\1<id>"),
]


def show(conn, request, reply):
    for pattern, replacement in MASKS:
        reply = pattern.sub(replacement, reply)
    print(f"{conn} {request} -> {reply!r}", flush=True)


a, b = Conn("A"), Conn("B")

# Connection commands and their errors.
a.do("PING")
a.do("PING", "hi")
a.do("PING", "a", "b")
a.do("ping")
a.do("ECHO", "x\r\ny")
a.do("ECHO")
a.do("SELECT", "0")
a.do("SELECT", "1")
a.do("SELECT", "x")
a.do("DBSIZE")
a.do("CLIENT", "SETNAME", "n1")
a.do("CLIENT", "GETNAME")
a.do("CLIENT", "SETNAME", "a b")
a.do("CLIENT", "SETNAME", "")
a.do("CLIENT", "GETNAME")
a.do("CLIENT", "KILL", "1.2.3.4:5")
a.do("CLIENT", "KILL", "ID", "999999")
a.do("CLIENT", "KILL", "ID", "0")
a.do("CLIENT", "KILL", "TYPE", "bogus")
a.do("CLIENT", "KILL", "SKIPME", "maybe")
a.do("CLIENT", "KILL", "ADDR")
a.do("CLIENT", "LIST", "TYPE", "bogus")
a.do("CLIENT", "LIST", "x")
a.do("CLIENT", "LIST", "ID", "x")
a.do("CLIENT", "ID", "x")
a.do("CLIENT", "FOO")
a.do("client", "foo")
a.do("CLIENT")
a.do("AUTH", "x")
a.do("AUTH", "default", "x")
a.do("AUTH", "bob", "x")
a.do("AUTH", "a", "b", "c")
a.do("HELLO", "4")
a.do("HELLO", "x")
a.do("HELLO", "2", "FOO")
a.do("HELLO", "2", "SETNAME", "a b")
a.do("HELLO", "2", "AUTH", "bob", "x")
a.do("HELLO", "2", "AUTH", "default", "x", "SETNAME", "hello-name")
a.do("CLIENT", "GETNAME")
a.do("FOO", "a", "b")
a.do("FOO")
a.do("FOO", "x" * 200, "y")
a.do("FOO\r\nBAR", "a\nb")
a.do("COMMAND", "INFO", "ping", "echo", "subscribe", "psubscribe", "publish", "pubsub|numsub", "nosuch", "client|nosuch")
a.do("COMMAND", "FOO")
a.do("PUBSUB", "NUMPAT")
a.do("PUBSUB", "NUMSUB")
a.do("PUBSUB", "CHANNELS", "x", "y")
a.do("PUBSUB", "NUMPAT", "x")
a.do("PUBSUB", "SHARDNUMSUB", "s1")
a.do("PUBSUB")

# Pub/sub in RESP2: confirmations, subscribed-mode restrictions, messages of every kind.
a.do("SUBSCRIBE", "ch1", "ch2", "ch1", replies=3)
a.do("PSUBSCRIBE", "n*", "x?", replies=2)
a.do("SSUBSCRIBE", "s1", replies=1)
a.do("ECHO", "hi")
a.do("PUBLISH", "ch1", "x")
a.do("CLIENT", "ID")
a.do("PING")
a.do("PING", "x")
b.do("PUBLISH", "ch1", "m1")
b.do("PUBLISH", "n1", "m2")
b.do("PUBLISH", "nope", "m3")
b.do("SPUBLISH", "s1", "m4")
b.do("SPUBLISH", "ch1", "m5")
b.do("PUBSUB", "NUMSUB", "ch1", "ch2", "n*", "zz")
b.do("PUBSUB", "NUMPAT")
b.do("PUBSUB", "CHANNELS", "ch1")
b.do("PUBSUB", "CHANNELS", "zz*")
b.do("PUBSUB", "SHARDCHANNELS")
b.do("PUBSUB", "SHARDNUMSUB", "s1", "ch1")
show("A", "messages", b"".join(a.read() for _ in range(3)))
a.do("UNSUBSCRIBE", "ch1", "nope", replies=2)
a.do("PUNSUBSCRIBE", "x?", replies=1)
a.do("PUNSUBSCRIBE", replies=1)
a.do("SUNSUBSCRIBE", replies=1)
a.do("SUNSUBSCRIBE", replies=1)
a.do("UNSUBSCRIBE", replies=1)
a.do("UNSUBSCRIBE", replies=1)
a.do("PUNSUBSCRIBE", replies=1)
a.do("ECHO", "back")
b.do("PUBLISH", "ch1", "nobody")

# RESP3: HELLO 3, pushes, no subscribed-mode restrictions, RESET back to RESP2.
c = Conn("C")
c.do("HELLO", "3")
c.do("SUBSCRIBE", "r3", replies=1)
c.do("ECHO", "allowed")
c.do("PING")
b.do("PUBLISH", "r3", "push")
show("C", "message", c.read())
c.do("CLIENT", "GETNAME")
c.do("UNSUBSCRIBE", replies=1)
c.do("UNSUBSCRIBE", replies=1)
c.do("SUBSCRIBE", "r3", replies=1)
c.do("RESET")
b.do("PUBLISH", "r3", "after-reset")
c.do("PING")
c.do("HELLO", "2", "SETNAME", "c2")
c.do("CLIENT", "GETNAME")

# Killing other clients, by id and by address.
d = Conn("D")
d.send(encode(["CLIENT", "ID"]))
d_id = int(d.read()[1:-2])
a.send(encode(["CLIENT", "KILL", "ID", str(d_id)]))
show("A", "CLIENT KILL ID <D>", a.read())
d.expect_closed("after kill")
e = Conn("E")
e.send(encode(["CLIENT", "INFO"]))
e_addr = [f for f in e.read().split() if f.startswith(b"addr=")][0][5:].decode()
a.send(encode(["CLIENT", "KILL", e_addr]))
show("A", "CLIENT KILL <E addr>", a.read())
e.expect_closed("after kill")
a.do("CLIENT", "KILL", "SKIPME", "yes", "ID", "1")

# QUIT stops the pipeline; inline commands; protocol errors close with Redis's words.
f = Conn("F")
f.send(b"PING\r\nECHO 'a b' \"c\\x41\\n\"\r\nQUIT\r\nPING\r\n")
show("F", "inline + QUIT", f.read() + f.read() + f.read())
f.expect_closed("after QUIT")
for raw in [b"*abc\r\n", b"*1\r\nfoo\r\n", b"*1\r\n$-5\r\n", b"*1\r\n$999999999999\r\n", b"*2\r\n$4\r\nECHO\r\n$600000000\r\n",
            b"PING \"abc\r\n", b"ECHO \"a\"b\r\n", b"*1\r\n\r\n", b"x" * 70000, b"*" + b"1" * 70000,
            b"*1\r\n$" + b"1" * 70000, b"*1\r\n$4\r\nPING\r\n*x\r\n"]:
    g = Conn("G")
    g.send(raw)
    g.expect_closed(repr(raw[:24]))
print("scenario complete", flush=True)
