// node-redis against a RESP server: Redis streams and consumer groups in RESP2 and RESP3 (maps for XINFO and
// XREAD), blocking reads woken by another client, consumer-group failover with XAUTOCLAIM, and auto-pipelining.
// Usage: node node_redis_streams.mjs PORT PREFIX. Prints one "ok <check>" line per check and
// "node-redis streams: all checks passed (N)" at the end; a failed assertion exits non-zero with the reason.
import assert from 'node:assert/strict';
import { createClient } from 'redis';

const port = Number(process.argv[2]);
const prefix = process.argv[3];
const checks = [];
function ok(name) {
  checks.push(name);
  console.log(`ok ${name}`);
}

for (const resp of [2, 3]) {
  const client = createClient({ socket: { host: '127.0.0.1', port }, RESP: resp });
  const other = createClient({ socket: { host: '127.0.0.1', port }, RESP: resp });
  client.on('error', (e) => { console.error(`client error: ${e}`); });
  other.on('error', (e) => { console.error(`client error: ${e}`); });
  await client.connect();
  await other.connect();
  const key = `${prefix}${resp}:events`;

  assert.equal(await client.xAdd(key, '1-1', { kind: 'created', id: '7' }), '1-1');
  assert.equal(await client.xAdd(key, '1-*', { kind: 'paid' }), '1-2');
  const auto = await client.xAdd(key, '*', { kind: 'shipped' });
  assert.match(auto, /^\d+-\d+$/);
  assert.equal(await client.xLen(key), 3);
  const range = await client.xRange(key, '-', '+', { COUNT: 2 });
  assert.deepEqual(range.map((e) => [e.id, { ...e.message }]), [['1-1', { kind: 'created', id: '7' }], ['1-2', { kind: 'paid' }]]);
  const reverse = await client.xRevRange(key, '+', '(1-1');
  assert.deepEqual(reverse.map((e) => e.id), [auto, '1-2']);
  await assert.rejects(client.xAdd(key, '1-0', { a: 'b' }), /equal or smaller than the target stream top item/);
  ok(`RESP${resp} XADD, XLEN, XRANGE, XREVRANGE and the top-item error`);

  // Blocking read on another connection, woken by XADD.
  const waiting = other.xRead({ key, id: '$' }, { BLOCK: 5000 });
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  await client.xAdd(key, '*', { kind: 'late' });
  const woken = await waiting;
  assert.ok(Date.now() - started < 2000);
  const flat = JSON.stringify(woken);
  assert.ok(flat.includes('late'), flat);
  ok(`RESP${resp} XREAD BLOCK woken by XADD from another client`);

  // RESP3 replies are maps: check the wire types through a raw command.
  const info = await client.sendCommand(['XINFO', 'STREAM', key]);
  const groups0 = await client.sendCommand(['XINFO', 'GROUPS', key]);
  assert.deepEqual(groups0, []);
  if (resp === 3) {
    assert.ok(!Array.isArray(info) && typeof info === 'object', `XINFO STREAM is a map in RESP3: ${JSON.stringify(info)}`);
    const read = await client.sendCommand(['XREAD', 'COUNT', '1', 'STREAMS', key, '0']);
    assert.ok(!Array.isArray(read) && typeof read === 'object', `XREAD is a map in RESP3: ${JSON.stringify(read)}`);
  } else {
    assert.ok(Array.isArray(info) && info[0] === 'length' && info[1] === 4, JSON.stringify(info));
  }
  ok(`RESP${resp} XINFO STREAM and XREAD reply types`);

  // Consumer group failover: alice takes three entries and dies; bob claims them with XAUTOCLAIM.
  const jobs = `${prefix}${resp}:jobs`;
  assert.equal(await client.xGroupCreate(jobs, 'workers', '0', { MKSTREAM: true }), 'OK');
  for (let i = 1; i <= 5; i++) {
    await client.xAdd(jobs, `${i}-0`, { job: String(i) });
  }
  const got = await client.xReadGroup('workers', 'alice', { key: jobs, id: '>' }, { COUNT: 3 });
  assert.ok(JSON.stringify(got).includes('3-0'));
  assert.equal(await client.xAck(jobs, 'workers', '1-0'), 1);
  const pending = await client.xPending(jobs, 'workers');
  assert.equal(pending.pending, 2);
  await new Promise((r) => setTimeout(r, 30));
  const claimed = await client.xAutoClaim(jobs, 'workers', 'bob', 20, '0-0');
  assert.equal(claimed.nextId, '0-0');
  assert.deepEqual(claimed.messages.map((m) => m.id), ['2-0', '3-0']);
  const detail = await client.xPendingRange(jobs, 'workers', '-', '+', 10);
  assert.deepEqual(detail.map((d) => [d.id, d.consumer, d.deliveriesCounter]), [['2-0', 'bob', 2], ['3-0', 'bob', 2]]);
  const groups = await client.xInfoGroups(jobs);
  assert.equal(groups.length, 1);
  assert.equal(groups[0].name, 'workers');
  assert.equal(groups[0].pending, 2);
  const consumers = await client.xInfoConsumers(jobs, 'workers');
  assert.deepEqual(consumers.map((c) => [c.name, c.pending]), [['alice', 0], ['bob', 2]]);
  ok(`RESP${resp} consumer-group failover: XREADGROUP, XACK, XPENDING, XAUTOCLAIM, XINFO GROUPS/CONSUMERS`);

  // Trimming and auto-pipelining: 1000 XADDs in flight at once, one trim.
  const many = `${prefix}${resp}:many`;
  const ids = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.xAdd(many, `${i + 1}-0`, { i: String(i) })));
  assert.equal(ids[999], '1000-0');
  assert.equal(await client.xTrim(many, 'MAXLEN', 100), 900);
  assert.equal(await client.xLen(many), 100);
  assert.equal(await client.xTrim(many, 'MINID', '951'), 50);
  assert.equal((await client.xRange(many, '-', '+', { COUNT: 1 }))[0].id, '951-0');
  ok(`RESP${resp} 1000 pipelined XADDs, XTRIM MAXLEN and MINID`);

  assert.equal(await client.type(many), 'stream');
  assert.equal(await client.exists([many, jobs, `${prefix}none`]), 2);
  assert.equal(await client.del(many), 1);
  assert.equal(await client.exists(many), 0);
  ok(`RESP${resp} TYPE, EXISTS, DEL`);

  await client.quit();
  await other.quit();
}
console.log(`node-redis streams: all checks passed (${checks.length})`);
