"""Raw RESP over a socket for the differential scenarios: send requests, read whole replies, print them byte-exact.

Imported by scenario.py and streams_scenario.py (each takes the port as its first argument). Uses only the standard
library, so what is compared is exactly what each server put on the wire. MASKS hides facts that legitimately
differ between servers; a scenario may append its own.
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
