"""redis-py against a RESP server whose memory or disk alarm is (or is not) in effect.

Usage: /usr/bin/python3 redis_py_alarm.py PORT KEY none|memory|disk
none: XADD succeeds. memory: commands flagged denyoom (XADD, XGROUP CREATE) fail with Redis's OOM error while
reads, XACK and PUBLISH work. disk: commands flagged write (XADD, XACK, XGROUP CREATE, DEL) fail with a MISCONF
error while reads and PUBLISH work. Prints one "ok <check>" line and exits non-zero on a failed assertion.
"""
import sys

import redis

port, key, alarm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
r = redis.Redis(host="127.0.0.1", port=port)


def refused(call, code):
    try:
        call()
    except redis.exceptions.ResponseError as error:
        assert str(error).startswith(code), str(error)
        return
    raise AssertionError(f"expected a {code} error")


if alarm == "none":
    assert r.xadd(key, {"f": "v"})
    print(f"ok XADD accepted, XLEN {r.xlen(key)}", flush=True)
    sys.exit(0)

length = r.xlen(key)
code = "OOM command not allowed" if alarm == "memory" else "MISCONF"
refused(lambda: r.xadd(key, {"f": "v"}), code)
refused(lambda: r.xgroup_create(key, "g-" + alarm, id="0"), code)
if alarm == "disk":
    refused(lambda: r.xack(key, "g", "1-1"), code)
    refused(lambda: r.delete(key), code)
else:
    assert r.xack(key, "g", "1-1") == 0
assert r.xlen(key) == length and len(r.xrange(key)) == length
assert r.publish("alarm-channel", "still delivered") == 0
assert r.ping()
print(f"ok {alarm} alarm: writes refused with {code}, reads and PUBLISH served", flush=True)
