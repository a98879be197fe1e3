// amqplib (npm) against Herald: one scenario per run, results as JSON on stdout.
// usage: node scenarios.js PORT SCENARIO UNIQUE
'use strict';
const amqp = require('amqplib');

const [port, scenario, unique] = process.argv.slice(2);
const url = `amqp://guest:guest@127.0.0.1:${port}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function workQueueWithConfirms() {
  const connection = await amqp.connect(url);
  const publisher = await connection.createConfirmChannel();
  const queue = `amqplib-work-${unique}`;
  await publisher.assertQueue(queue, { durable: true });
  for (let i = 0; i < 50; i++) {
    publisher.sendToQueue(queue, Buffer.from(`job ${i}`), { persistent: true });
  }
  await publisher.waitForConfirms();
  const counts = [0, 0];
  const bodies = [];
  for (const index of [0, 1]) {
    const channel = await connection.createChannel();
    await channel.prefetch(2);
    await channel.consume(queue, (message) => {
      counts[index]++;
      bodies.push(message.content.toString());
      setTimeout(() => channel.ack(message), 2);
    });
  }
  for (let i = 0; i < 200 && bodies.length < 50; i++) {
    await sleep(50);
  }
  await sleep(200); // let the last acks (sent a moment after each delivery) go out before closing
  console.log(JSON.stringify({ counts, all: bodies.sort() }));
  await connection.close();
}

async function priorityAndHeaders() {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const queue = `amqplib-prio-${unique}`;
  await channel.assertQueue(queue, { maxPriority: 5 });
  for (const priority of [1, 5, 3]) {
    channel.sendToQueue(queue, Buffer.from(`p${priority}`), { priority });
  }
  const exchange = `amqplib-headers-${unique}`;
  await channel.assertExchange(exchange, 'headers');
  const { queue: matched } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(matched, exchange, '', { 'x-match': 'any', kind: 'a', other: 'b' });
  channel.publish(exchange, '', Buffer.from('one'), { headers: { kind: 'a' } });
  channel.publish(exchange, '', Buffer.from('none'), { headers: { kind: 'z' } });
  await sleep(200);
  const order = [];
  for (let message; (message = await channel.get(queue, { noAck: true }));) {
    order.push(message.content.toString());
  }
  const headers = [];
  for (let message; (message = await channel.get(matched, { noAck: true }));) {
    headers.push(message.content.toString());
  }
  let notFound = null;
  const doomed = await connection.createChannel();
  doomed.on('error', () => {});
  try {
    await doomed.checkQueue(`missing-${unique}`);
  } catch (error) {
    notFound = error.code;
  }
  console.log(JSON.stringify({ order, headers, notFound }));
  await connection.close();
}

// Run while a resource alarm is in effect: prints the blocked notification at once, then waits for the test to
// clear the alarm; the publish made meanwhile must be confirmed only after connection.unblocked.
async function blockedByAlarm() {
  const connection = await amqp.connect(url);
  const events = [];
  let onUnblocked;
  const unblocked = new Promise((resolve) => { onUnblocked = resolve; });
  connection.on('blocked', (reason) => {
    events.push('blocked');
    console.log(JSON.stringify({ event: 'blocked', reason }));
  });
  connection.on('unblocked', () => {
    events.push('unblocked');
    onUnblocked();
  });
  const channel = await connection.createConfirmChannel();
  const queue = `amqplib-blocked-${unique}`;
  await channel.assertQueue(queue, { durable: true });
  await new Promise((resolve, reject) => {
    channel.sendToQueue(queue, Buffer.from('during the alarm'), { persistent: true }, (error) => (error ? reject(error) : resolve()));
  });
  events.push('confirmed');
  await unblocked;
  const message = await channel.get(queue, { noAck: true });
  console.log(JSON.stringify({ events, body: message && message.content.toString() }));
  await connection.close();
}

({ work: workQueueWithConfirms, priority: priorityAndHeaders, blocked: blockedByAlarm })[scenario]().catch((error) => {
  console.error(error);
  process.exit(1);
});
