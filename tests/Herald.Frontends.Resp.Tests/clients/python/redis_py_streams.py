"""redis-py against a RESP server: Redis streams and consumer groups.

Usage: /usr/bin/python3 redis_py_streams.py PORT PREFIX
Every key starts with PREFIX, so runs against a shared server do not collide. Prints one "ok <check>" line per
check and "redis-py streams: all checks passed (N)" at the end; a failed assertion exits non-zero.
"""
import sys
import threading
import time

import redis

port = int(sys.argv[1])
prefix = sys.argv[2]
checks = []


def ok(name):
    checks.append(name)
    print(f"ok {name}", flush=True)


r = redis.Redis(host="127.0.0.1", port=port)
s = prefix + "orders"

first = r.xadd(s, {"item": "apple", "qty": "1"})
second = r.xadd(s, {"item": "pear"})
assert first < second
assert r.xlen(s) == 2
entries = r.xrange(s)
assert entries == [(first, {b"item": b"apple", b"qty": b"1"}), (second, {b"item": b"pear"})], entries
assert r.xrevrange(s, count=1) == [(second, {b"item": b"pear"})]
assert r.xrange(s, min="(" + first.decode()) == [(second, {b"item": b"pear"})]
assert r.type(s) == b"stream" and r.exists(s) == 1
ok("XADD auto IDs, XLEN, XRANGE, XREVRANGE, exclusive ranges, TYPE, EXISTS")

e = prefix + "explicit"
assert r.xadd(e, {"f": "v"}, id="5-1") == b"5-1"
assert r.xadd(e, {"f": "v"}, id="5-*") == b"5-2"
try:
    r.xadd(e, {"f": "v"}, id="5-1")
    raise AssertionError("expected an error")
except redis.ResponseError as error:
    assert "equal or smaller than the target stream top item" in str(error)
assert r.xadd(prefix + "missing", {"f": "v"}, nomkstream=True) is None
assert r.exists(prefix + "missing") == 0
assert r.xdel(e, "5-1", "9-9") == 1
assert r.xlen(e) == 1
ok("explicit and ms-* IDs, the top-item error, NOMKSTREAM, XDEL")

t = prefix + "trim"
for i in range(1, 301):
    r.xadd(t, {"n": str(i)}, id=f"{i}-0")
assert r.xtrim(t, maxlen=250, approximate=False) == 50
assert r.xlen(t) == 250
assert r.xtrim(t, minid="100-0", approximate=False) == 49
assert r.xrange(t, count=1)[0][0] == b"100-0"
r.xadd(t, {"n": "301"}, id="301-0", maxlen=10, approximate=False)
assert r.xlen(t) == 10
assert r.xrange(t, count=1)[0][0] == b"292-0"
ok("XTRIM MAXLEN and MINID, XADD MAXLEN")

b = prefix + "blocking"
r.xadd(b, {"seed": "0"}, id="1-0")
other = redis.Redis(host="127.0.0.1", port=port)


def later():
    time.sleep(0.3)
    other.xadd(b, {"late": "yes"}, id="2-0")


threading.Thread(target=later).start()
started = time.time()
got = r.xread({b: "$"}, block=5000)
waited = time.time() - started
assert got == [[b.encode(), [(b"2-0", {b"late": b"yes"})]]], got
assert 0.2 < waited < 3, waited
assert r.xread({b: "$"}, block=100) == []
assert r.xread({b: "0", e: "0"}, count=1) == [[b.encode(), [(b"1-0", {b"seed": b"0"})]], [e.encode(), [(b"5-2", {b"f": b"v"})]]]
ok("XREAD BLOCK woken by XADD from another client, timeout, many keys")

g = prefix + "jobs"
r.xgroup_create(g, "workers", id="0", mkstream=True)
try:
    r.xgroup_create(g, "workers", id="0")
    raise AssertionError("expected BUSYGROUP")
except redis.ResponseError as error:
    assert "Consumer Group name already exists" in str(error), str(error)
for i in range(1, 6):
    r.xadd(g, {"job": str(i)}, id=f"{i}-0")
got = r.xreadgroup("workers", "alice", {g: ">"}, count=3)
assert [entry[0] for entry in got[0][1]] == [b"1-0", b"2-0", b"3-0"]
assert r.xack(g, "workers", "1-0") == 1
summary = r.xpending(g, "workers")
assert summary["pending"] == 2 and summary["min"] == b"2-0" and summary["max"] == b"3-0", summary
history = r.xreadgroup("workers", "alice", {g: "0"})
assert [entry[0] for entry in history[0][1]] == [b"2-0", b"3-0"]
detail = r.xpending_range(g, "workers", min="-", max="+", count=10)
assert [(d["message_id"], d["consumer"], d["times_delivered"]) for d in detail] == [(b"2-0", b"alice", 2), (b"3-0", b"alice", 2)], detail
ok("XGROUP CREATE MKSTREAM, BUSYGROUP, XREADGROUP > and history, XACK, XPENDING summary and extended")

time.sleep(0.05)
claimed = r.xclaim(g, "workers", "bob", min_idle_time=10, message_ids=["2-0"])
assert claimed == [(b"2-0", {b"job": b"2"})], claimed
reply = r.xautoclaim(g, "workers", "carol", min_idle_time=0, start_id="0-0", count=10)
cursor, entries = reply[0], reply[1]
assert cursor == b"0-0" and [entry[0] for entry in entries] == [b"2-0", b"3-0"], (cursor, entries)
assert r.xpending(g, "workers")["consumers"] == [{"name": b"carol", "pending": 2}]
groups = r.xinfo_groups(g)
assert groups[0]["name"] == b"workers" and groups[0]["pending"] == 2 and groups[0]["last-delivered-id"] == b"3-0", groups
consumers = {c["name"]: c["pending"] for c in r.xinfo_consumers(g, "workers")}
assert consumers == {b"alice": 0, b"bob": 0, b"carol": 2}, consumers
info = r.xinfo_stream(g)
assert info["length"] == 5 and info["groups"] == 1 and info["last-generated-id"] == b"5-0", info
ok("failover: XCLAIM and XAUTOCLAIM move pending entries; XINFO GROUPS/CONSUMERS/STREAM")

pipe = r.pipeline(transaction=False)
p = prefix + "pipelined"
for i in range(1, 2001):
    pipe.xadd(p, {"i": str(i)}, id=f"{i}-0")
pipe.xlen(p)
results = pipe.execute()
assert results[-1] == 2000 and results[0] == b"1-0" and results[1999] == b"2000-0"
ok("2000 XADDs pipelined")

assert r.execute_command("XGROUP", "CREATE", p, "late", "$") == b"OK"
assert p.encode() in r.keys(prefix + "*")
seen = set()
cursor = 0
while True:
    cursor, keys = r.scan(cursor=cursor, match=prefix + "*", count=2, _type="stream")
    seen.update(keys)
    if cursor == 0:
        break
assert {s.encode(), e.encode(), t.encode(), b.encode(), g.encode(), p.encode()} <= seen, seen
assert r.delete(p, prefix + "nothing") == 1
assert r.exists(p) == 0 and r.xlen(p) == 0
r.xadd(p, {"again": "1"})
assert r.unlink(p, prefix + "nothing") == 1 and r.exists(p) == 0
ok("KEYS, SCAN with MATCH/COUNT/TYPE, DEL and UNLINK of a stream")

print(f"redis-py streams: all checks passed ({len(checks)})", flush=True)
