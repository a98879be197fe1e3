// A kafkajs consumer group against a Herald broker; prints one JSON report.
// Usage: node kafkajs-group.js BOOTSTRAP TOPIC GROUP
// Creates a 6-partition topic with 60 records; three consumers of one group consume them and report their last
// assignment (from GROUP_JOIN events) and what they received.
const { Kafka, logLevel } = require("kafkajs");

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "herald-group-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `v${i}` })) });
  await producer.disconnect();

  const received = [];
  const assignments = [[], [], []];
  const consumers = [0, 1, 2].map(() =>
    kafka.consumer({ groupId, sessionTimeout: 6000, rebalanceTimeout: 10000, heartbeatInterval: 500 }));
  await Promise.all(consumers.map(async (consumer, i) => {
    consumer.on(consumer.events.GROUP_JOIN, (e) => { assignments[i] = e.payload.memberAssignment[topic] || []; });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { received.push(message.value.toString()); } });
  }));
  const deadline = Date.now() + 20000;
  const settled = () => received.length >= 60 && assignments.every((a) => a.length === 2);
  while (Date.now() < deadline && !settled()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all(consumers.map((c) => c.disconnect()));
  console.log(JSON.stringify({ assignments: assignments.map((a) => [...a].sort((x, y) => x - y)), received }));
}

main().catch((e) => { console.error(e); process.exit(1); });
