// One long-running kafkajs group member; prints one JSON line per event.
// Usage: node kafkajs-member.js BOOTSTRAP TOPIC GROUP
// Joins GROUP with an assigner named "roundrobin", the protocol name librdkafka's roundrobin assignor uses, so a
// kafkajs member and a librdkafka member share a protocol (kafkajs's own round-robin assigner is called
// "RoundRobinAssigner"; both encode the standard consumer protocol). Events: {"event":"assigned","partitions":[...]}
// after each join, {"event":"message","value":...} per record. Runs until killed.
const { Kafka, logLevel, PartitionAssigners } = require("kafkajs");

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "herald-kafkajs-member", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const roundrobin = (config) => ({ ...PartitionAssigners.roundRobin(config), name: "roundrobin" });
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");

async function main() {
  const consumer = kafka.consumer({
    groupId, sessionTimeout: 6000, rebalanceTimeout: 10000, heartbeatInterval: 500, partitionAssigners: [roundrobin],
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    emit({ event: "assigned", partitions: [...(e.payload.memberAssignment[topic] || [])].sort((a, b) => a - b) });
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => emit({ event: "message", value: message.value.toString() }) });
}

main().catch((e) => { console.error(e); process.exit(1); });
