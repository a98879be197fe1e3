"""redis-py against a RESP server: connection commands, pub/sub with patterns and shard channels, pipelining.

Usage: /usr/bin/python3 redis_py_client.py PORT (Debian's python3-redis). Prints one "ok <check>" line per check
and "redis-py: all checks passed" at the end; a failed assertion exits non-zero with a traceback.
Debian's redis-py (4.3) speaks RESP2 only; RESP3 is covered by redis-cli -3 and node-redis.
"""
import sys
import time

import redis

port = int(sys.argv[1])
checks = []


def ok(name):
    checks.append(name)
    print(f"ok {name}", flush=True)


r = redis.Redis(host="127.0.0.1", port=port, client_name="py-client")
assert r.ping() is True
assert r.echo("héllo") == "héllo".encode()
assert r.execute_command("PING", "hi") is False  # redis-py maps any PING reply but PONG to False
ok("PING and ECHO")

assert r.client_getname() == "py-client"
assert r.client_setname("renamed") is True
assert r.client_getname() == "renamed"
client_id = r.client_id()
assert client_id > 0
mine = [c for c in r.client_list() if int(c["id"]) == client_id]
assert mine and mine[0]["name"] == "renamed" and mine[0]["cmd"] == "client|list", mine
info = r.client_info()
assert int(info["id"]) == client_id and info["flags"] == "N", info
assert r.execute_command("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == b"OK"
assert r.client_info()["lib-name"] == "redis-py"
ok("CLIENT SETNAME/GETNAME/ID/LIST/INFO/SETINFO")

other = redis.Redis(host="127.0.0.1", port=port)
other_id = other.client_id()
assert r.client_kill_filter(_id=other_id) == 1
deadline = time.time() + 5
while any(int(c["id"]) == other_id for c in r.client_list()):
    assert time.time() < deadline, "killed client still listed"
    time.sleep(0.01)
ok("CLIENT KILL ID")

assert r.select(0) is True
for command, pattern in [
    (("SELECT", "1"), "DB index is out of range"),
    (("NOSUCH", "a", "b"), "unknown command 'NOSUCH', with args beginning with: 'a' 'b' "),
    (("ECHO",), "wrong number of arguments for 'echo' command"),
    (("AUTH", "secret"), "AUTH <password> called without any password configured for the default user."),
    (("CLIENT", "NOSUCH"), "unknown subcommand 'NOSUCH'. Try CLIENT HELP."),
]:
    try:
        r.execute_command(*command)
        raise AssertionError(f"{command} did not fail")
    except redis.ResponseError as e:
        assert pattern in str(e), (command, str(e))
assert r.execute_command("AUTH", "default", "anything") is True
assert r.dbsize() == 0
ok("SELECT, DBSIZE, AUTH and error replies")

hello = r.execute_command("HELLO", "2")
fields = dict(zip(hello[::2], hello[1::2]))
assert fields[b"server"] == b"redis" and fields[b"proto"] == 2 and fields[b"id"] == client_id, fields
ok("HELLO 2")

info = r.info()
assert info["redis_version"] == "7.2.0" and info["connected_clients"] >= 1 and info["role"] == "master", info
assert "total_commands_processed" in info and "used_memory" in info
assert set(r.info("clients").keys()) >= {"connected_clients", "pubsub_clients"}
assert r.command_count() >= 20
commands = r.command()
assert commands["ping"]["arity"] == -1 and "fast" in commands["ping"]["flags"], commands["ping"]
assert commands["subscribe"]["arity"] == -2 and "client" in commands, sorted(commands)
ok("INFO and COMMAND")

pipe = r.pipeline(transaction=False)
for i in range(5000):
    pipe.echo(f"m{i}")
replies = pipe.execute()
assert len(replies) == 5000 and replies[-1] == b"m4999"
ok("5000 commands pipelined in one round trip")

p = r.pubsub()
p.subscribe("py-news")
p.psubscribe("py-sport.*")
for _ in range(2):
    m = p.get_message(timeout=5)
    assert m["type"] in ("subscribe", "psubscribe"), m
assert r.publish("py-news", "n1") == 1
assert r.publish("py-sport.tennis", "s1") == 1
assert r.publish("py-nobody", "x") == 0
messages = []
deadline = time.time() + 5
while len(messages) < 2 and time.time() < deadline:
    m = p.get_message(timeout=1)
    if m:
        messages.append(m)
assert messages[0]["type"] == "message" and messages[0]["channel"] == b"py-news" and messages[0]["data"] == b"n1", messages
assert messages[1]["type"] == "pmessage" and messages[1]["pattern"] == b"py-sport.*" and messages[1]["channel"] == b"py-sport.tennis", messages
ok("SUBSCRIBE and PSUBSCRIBE with messages")

assert r.pubsub_channels("py-*") == [b"py-news"]
assert r.pubsub_numsub("py-news", "py-none") == [(b"py-news", 1), (b"py-none", 0)]
assert r.pubsub_numpat() >= 1
ok("PUBSUB CHANNELS, NUMSUB, NUMPAT")

# redis-py 4.3 has no sharded pub/sub helpers: send SSUBSCRIBE on the subscriber connection directly.
p.execute_command("SSUBSCRIBE", "py-shard")
m = p.get_message(timeout=5)
assert m["type"] == "ssubscribe" and m["channel"] == b"py-shard", m
assert r.execute_command("SPUBLISH", "py-shard", "h1") == 1
assert r.execute_command("PUBSUB", "SHARDNUMSUB", "py-shard") == [b"py-shard", 1]
m = p.get_message(timeout=5)
assert m["type"] == "smessage" and m["data"] == b"h1", m
ok("SSUBSCRIBE, SPUBLISH, PUBSUB SHARDNUMSUB")

p.unsubscribe("py-news")
p.punsubscribe("py-sport.*")
kinds = set()
deadline = time.time() + 5
while len(kinds) < 2 and time.time() < deadline:
    m = p.get_message(timeout=1)
    if m:
        kinds.add(m["type"])
assert kinds == {"unsubscribe", "punsubscribe"}, kinds
assert r.publish("py-news", "n2") == 0
p.close()
ok("UNSUBSCRIBE and PUNSUBSCRIBE")

print(f"redis-py: all checks passed ({len(checks)})", flush=True)
