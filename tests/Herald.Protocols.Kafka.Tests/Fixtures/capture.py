"""Captures the request frames real Kafka clients send, as byte fixtures for CapturedClientFixtureTests.

Usage (from the repository root, after a Release build and `npm ci` in the kafkajs client folder):
    python3 tests/Herald.Protocols.Kafka.Tests/Fixtures/capture.py

Starts a Herald process on free ports, puts a recording TCP proxy in front of its Kafka listener (Herald advertises the
proxy's port, so every connection a client opens goes through it), runs the interop tests' client scripts through the
proxy (librdkafka via confluent-kafka-python and kcat, kafka-python, kafkajs), and writes the first request frame of
each (client, API, version) to Fixtures/<client>/<ApiKey>-<ApiName>-v<version>.bin, size prefix included. Replaces
the fixtures it captures; commit the result. Requests only: responses come from Herald itself, so they would test
nothing the round-trip tests do not.
"""
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CLIENTS = os.path.join(ROOT, "tests", "Herald.Frontends.Kafka.Tests", "Clients")
HERALD = os.path.join(ROOT, "src", "Herald.Server", "bin", "Release", "net10.0", "herald")

# API key → name, for file names only (the tests decode by key and version).
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
             10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
             15: "DescribeGroups", 16: "ListGroups", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
             21: "DeleteRecords", 22: "InitProducerId", 32: "DescribeConfigs", 33: "AlterConfigs", 36: "SaslHandshake",
             37: "CreatePartitions", 42: "DeleteGroups", 44: "IncrementalAlterConfigs", 47: "OffsetDelete",
             60: "DescribeCluster"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Keeps the first request frame of each (API key, version) for the client currently running."""

    def __init__(self):
        self.client = None
        # The compression codec the client is producing with: Produce fixtures are kept once per codec.
        self.codec = None
        self.seen = set()
        self.lock = threading.Lock()

    def record(self, frame):
        if self.client is None or len(frame) < 8:
            return
        key = int.from_bytes(frame[4:6], "big", signed=True)
        version = int.from_bytes(frame[6:8], "big", signed=True)
        variant = f"-{self.codec}" if key == 0 and self.codec else ""
        folder = os.path.join(HERE, self.client)
        name = f"{key:02d}-{API_NAMES.get(key, 'Api' + str(key))}-v{version}{variant}.bin"
        path = os.path.join(folder, name)
        with self.lock:
            if (self.client, key, version, variant) in self.seen:
                # Produce keeps its largest frame: librdkafka sends a small batch uncompressed when compressing
                # would not make it smaller, and the fixture is meant to carry the codec.
                if key != 0 or os.path.getsize(path) >= len(frame):
                    return
            self.seen.add((self.client, key, version, variant))
            os.makedirs(folder, exist_ok=True)
            with open(path, "wb") as f:
                f.write(frame)


async def pump_requests(reader, writer, recorder):
    """Client → broker: forwards bytes and splits them into size-prefixed frames for the recorder."""
    pending = b""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        pending += data
        while len(pending) >= 4:
            size = int.from_bytes(pending[:4], "big")
            if len(pending) < 4 + size:
                break
            recorder.record(pending[:4 + size])
            pending = pending[4 + size:]
        await writer.drain()
    writer.close()


async def pump(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


def run_proxy(listen_port, target_port, recorder, ready):
    async def handle(client_reader, client_writer):
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pump_requests(client_reader, broker_writer, recorder), pump(broker_reader, client_writer),
                             return_exceptions=True)

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def run(recorder, client, command, codec=None):
    recorder.client, recorder.codec = client, codec
    print(f"capture: {client}: {' '.join(command[:3])} ...", flush=True)
    result = subprocess.run(command, cwd=CLIENTS, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        print(f"capture: {client} exited {result.returncode}: {result.stderr[-2000:]}", file=sys.stderr)
    recorder.client, recorder.codec = None, None


def main():
    if not os.path.exists(HERALD):
        sys.exit(f"capture: build Herald first (dotnet build src/Herald.Server -c Release); {HERALD} is missing")
    broker_port, proxy_port = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="herald-capture-")
    herald = subprocess.Popen([HERALD, "--data-dir", data, "--bind", "127.0.0.1", "--kafka-port", str(broker_port),
                               "--kafka-advertised-host", "127.0.0.1", "--kafka-advertised-port", str(proxy_port),
                               "--amqp-port", "0", "--resp-port", "0", "--http-port", "0", "--default-partitions", "3"],
                              stdout=subprocess.PIPE, text=True)
    try:
        for line in herald.stdout:
            if "kafka listening" in line:
                break
        threading.Thread(target=lambda: [None for _ in herald.stdout], daemon=True).start()
        recorder = Recorder()
        ready = threading.Event()
        threading.Thread(target=run_proxy, args=(proxy_port, broker_port, recorder, ready), daemon=True).start()
        ready.wait(10)
        bootstrap = f"127.0.0.1:{proxy_port}"
        # Debian's python3 has the client libraries (python3-confluent-kafka, python3-kafka); another one may not.
        py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        node = shutil.which("node")

        for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
            run(recorder, "librdkafka", [py, "confluent_roundtrip.py", bootstrap, f"rd-{codec}", "3", codec], codec)
        run(recorder, "librdkafka", [py, "confluent_group.py", bootstrap, "rd-none", "rd-group"])
        run(recorder, "librdkafka", [py, "confluent_commit.py", bootstrap, "rd-commit", "rd-commit-group", "commit"])
        run(recorder, "librdkafka", [py, "confluent_commit.py", bootstrap, "rd-commit", "rd-commit-group", "read"])
        run(recorder, "kafka-python", [py, "kafka_python_roundtrip.py", bootstrap, "kp-topic", "3"])
        run(recorder, "kafka-python", [py, "kafka_python_group.py", bootstrap, "kp-topic", "kp-group"])
        if node:
            run(recorder, "kafkajs", [node, "node/kafkajs-roundtrip.js", bootstrap, "js-topic", "3"])
            run(recorder, "kafkajs", [node, "node/kafkajs-group.js", bootstrap, "js-topic", "js-group"])
        recorder.client = "kcat"
        for codec in ("gzip", "snappy", "lz4", "zstd"):
            recorder.codec = codec
            subprocess.run(["kcat", "-b", bootstrap, "-P", "-t", f"kcat-{codec}", "-z", codec, "-K", ":"],
                           input="".join(f"key-{i % 3}:value number {i} of a compressible run\n" for i in range(200)), text=True, timeout=60, check=False)
        recorder.codec = None
        subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", "kcat-gzip", "-o", "beginning", "-e", "-q"], timeout=60,
                       capture_output=True, check=False)
        subprocess.run(["kcat", "-b", bootstrap, "-L"], timeout=60, capture_output=True, check=False)
        recorder.client = None
        time.sleep(0.5)
    finally:
        herald.terminate()
        herald.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
