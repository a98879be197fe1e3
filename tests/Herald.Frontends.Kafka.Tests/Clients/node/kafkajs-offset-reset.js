// kafkajs's offset reset (fromBeginning, its auto.offset.reset) and resumption from committed offsets; prints one JSON report.
// Usage: node kafkajs-offset-reset.js BOOTSTRAP TOPIC GROUP
// Five "old" records exist before anyone joins. A member of GROUP-earliest (fromBeginning: true) and one of
// GROUP-latest (fromBeginning: false) join, then five "new" records are produced: the first must get all ten, the
// second only the new ones. The latest member leaves (its commits stay), three "late" records are produced, and a new
// member of GROUP-latest must resume from the commits and get exactly those three.
const { Kafka, logLevel } = require("kafkajs");

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "herald-kafkajs-reset", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function member(group, fromBeginning, received) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = true; });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  await consumer.run({ eachMessage: async ({ message }) => { received.push(message.value.toString()); } });
  const deadline = Date.now() + 20000;
  while (!joined && Date.now() < deadline) await sleep(100);
  return consumer;
}

async function until(condition, ms) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(100);
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const send = (prefix, n) => producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` })) });
  await send("old", 5);

  const earliest = [];
  const latest = [];
  const first = await member(`${groupId}-earliest`, true, earliest);
  const second = await member(`${groupId}-latest`, false, latest);
  await sleep(1000);
  await send("new", 5);
  await until(() => earliest.length >= 10 && latest.length >= 5, 15000);
  await sleep(500);
  await second.disconnect();

  await send("late", 3);
  const resumed = [];
  const third = await member(`${groupId}-latest`, false, resumed);
  await until(() => resumed.length >= 3, 15000);
  await sleep(500);
  await Promise.all([first.disconnect(), third.disconnect(), producer.disconnect()]);
  console.log(JSON.stringify({ earliest, latest, resumed }));
}

main().catch((e) => { console.error(e); process.exit(1); });
