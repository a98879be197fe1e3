// node-redis against a RESP server: connection commands, pub/sub (channels, patterns, shard channels), RESP3 and
// auto-pipelining. Usage: node node_redis_client.mjs PORT. Prints one "ok <check>" line per check and
// "node-redis: all checks passed" at the end; any failed assertion exits non-zero with the reason.
import assert from 'node:assert/strict';
import { createClient } from 'redis';

const port = Number(process.argv[2]);
const checks = [];
function ok(name) {
  checks.push(name);
  console.log(`ok ${name}`);
}

function waitFor(predicate, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > 5000) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

for (const resp of [2, 3]) {
  const client = createClient({ socket: { host: '127.0.0.1', port }, RESP: resp, name: `node-${resp}` });
  client.on('error', (e) => { console.error(`client error: ${e}`); });
  await client.connect();
  ok(`RESP${resp} connect (CLIENT SETINFO${resp === 3 ? ', HELLO 3' : ''})`);

  assert.equal(await client.ping(), 'PONG');
  assert.equal(await client.ping('hi'), 'hi');
  assert.equal(await client.echo('héllo'), 'héllo');
  ok(`RESP${resp} PING and ECHO`);

  assert.equal(await client.clientGetName(), `node-${resp}`);
  assert.equal(await client.clientSetName('renamed'), 'OK');
  assert.equal(await client.clientGetName(), 'renamed');
  const id = await client.clientId();
  assert.ok(id > 0);
  const info = await client.clientInfo();
  assert.equal(info.id, id);
  assert.equal(info.name, 'renamed');
  assert.equal(info.libName, 'node-redis');
  assert.equal(Number(info.resp), resp);
  const list = await client.clientList();
  assert.ok(list.some((c) => c.id === id && c.name === 'renamed'));
  ok(`RESP${resp} CLIENT GETNAME/SETNAME/ID/INFO/LIST`);

  await client.select(0);
  assert.equal(await client.sendCommand(['SELECT', '0']), 'OK');
  await assert.rejects(client.select(1), /DB index is out of range/);
  assert.equal(await client.dbSize(), 0);
  await assert.rejects(client.sendCommand(['NOSUCH', 'a']), /unknown command 'NOSUCH', with args beginning with: 'a'/);
  await assert.rejects(client.sendCommand(['ECHO']), /wrong number of arguments for 'echo' command/);
  await assert.rejects(client.auth({ password: 'secret' }), /called without any password configured/);
  ok(`RESP${resp} SELECT, DBSIZE, AUTH and error replies`);

  const hello = await client.hello(resp);
  const fields = hello instanceof Map ? Object.fromEntries(hello) : hello;
  assert.equal(fields.server, 'redis');
  assert.equal(fields.proto, resp);
  assert.equal(fields.id, id);
  ok(`RESP${resp} HELLO`);

  const infoText = await client.info('server');
  assert.match(infoText, /redis_version:7\.2\.0/);
  assert.match(await client.info(), /# Stats\r\ntotal_connections_received:\d+/);
  assert.ok((await client.commandCount()) >= 20);
  const docs = await client.sendCommand(['COMMAND', 'DOCS', 'ping']);
  assert.ok(docs);
  ok(`RESP${resp} INFO and COMMAND`);

  // Auto-pipelining: every command issued in one tick goes out in one write.
  const replies = await Promise.all(Array.from({ length: 5000 }, (_, i) => client.echo(`m${i}`)));
  assert.equal(replies.length, 5000);
  assert.equal(replies[4999], 'm4999');
  ok(`RESP${resp} 5000 pipelined commands`);

  const subscriber = client.duplicate();
  subscriber.on('error', (e) => { console.error(`subscriber error: ${e}`); });
  await subscriber.connect();
  const received = [];
  await subscriber.subscribe(`news-${resp}`, (message, channel) => received.push(['message', channel, message]));
  await subscriber.pSubscribe(`sport-${resp}.*`, (message, channel) => received.push(['pmessage', channel, message]));
  await subscriber.sSubscribe(`shard-${resp}`, (message, channel) => received.push(['smessage', channel, message]));
  assert.equal(await client.publish(`news-${resp}`, 'n1'), 1);
  assert.equal(await client.publish(`sport-${resp}.tennis`, 's1'), 1);
  assert.equal(await client.sPublish(`shard-${resp}`, 'h1'), 1);
  assert.equal(await client.publish('nobody', 'x'), 0);
  await waitFor(() => received.length === 3, 'three messages');
  assert.deepEqual(received, [
    ['message', `news-${resp}`, 'n1'],
    ['pmessage', `sport-${resp}.tennis`, 's1'],
    ['smessage', `shard-${resp}`, 'h1'],
  ]);
  ok(`RESP${resp} SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their messages`);

  assert.ok((await client.pubSubChannels(`news-${resp}`)).includes(`news-${resp}`));
  const numSub = await client.pubSubNumSub([`news-${resp}`, 'none']);
  assert.equal(numSub[`news-${resp}`], 1);
  assert.equal(numSub.none, 0);
  assert.ok((await client.pubSubNumPat()) >= 1);
  assert.deepEqual(await client.pubSubShardChannels(`shard-${resp}`), [`shard-${resp}`]);
  ok(`RESP${resp} PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS`);

  await subscriber.unsubscribe(`news-${resp}`);
  await subscriber.pUnsubscribe(`sport-${resp}.*`);
  await subscriber.sUnsubscribe(`shard-${resp}`);
  assert.equal(await client.publish(`news-${resp}`, 'n2'), 0);
  assert.equal(await client.sPublish(`shard-${resp}`, 'h2'), 0);
  ok(`RESP${resp} UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE`);

  await subscriber.quit();
  await client.quit();
}

console.log(`node-redis: all checks passed (${checks.length})`);
