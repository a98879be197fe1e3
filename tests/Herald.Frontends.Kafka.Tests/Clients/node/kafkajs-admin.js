// Group administration through kafkajs 2.2.4's admin client; prints one JSON report.
// Usage: node kafkajs-admin.js BOOTSTRAP TOPIC GROUP
// A member of GROUP runs on a 2-partition topic; a member of GROUP-done consumes, commits and leaves (so that group is
// Empty with offsets). Then admin.listGroups, describeGroups, deleteGroups of GROUP-done (succeeds) and of GROUP (still
// has a member: NON_EMPTY_GROUP), and fetchOffsets of GROUP-done after its deletion.
const { Kafka, logLevel } = require("kafkajs");

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "herald-kafkajs-admin", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function joined(consumer) {
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => { assigned = true; });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  const deadline = Date.now() + 20000;
  while (!assigned && Date.now() < deadline) await sleep(100);
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `v${i}` })) });
  await producer.disconnect();

  const done = kafka.consumer({ groupId: `${groupId}-done`, sessionTimeout: 6000, heartbeatInterval: 500 });
  await joined(done);
  await sleep(1500);
  await done.commitOffsets([{ topic, partition: 0, offset: "2" }, { topic, partition: 1, offset: "2" }]);
  await done.disconnect();

  const member = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
  await joined(member);

  const listed = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(groupId));
  const described = (await admin.describeGroups([groupId, `${groupId}-done`])).groups.map((g) => ({
    groupId: g.groupId, state: g.state, protocolType: g.protocolType, protocol: g.protocol, errorCode: g.errorCode,
    members: g.members.map((m) => ({ clientId: m.clientId, clientHost: m.clientHost,
      metadata: m.memberMetadata.length, assignment: m.memberAssignment.length })),
  }));
  const deleted = await admin.deleteGroups([`${groupId}-done`]);
  let refused;
  try {
    await admin.deleteGroups([groupId]);
    refused = "deleted";
  } catch (e) {
    refused = (e.groups || []).map((g) => g.error && g.error.type);
  }
  const after = await admin.fetchOffsets({ groupId: `${groupId}-done`, topics: [topic] });
  await member.disconnect();
  await admin.disconnect();
  console.log(JSON.stringify({
    listed: listed.sort((a, b) => a.groupId.localeCompare(b.groupId)),
    described,
    deleted: deleted.map((d) => [d.groupId, d.errorCode]),
    refused,
    after: after[0].partitions.map((p) => p.offset).sort(),
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
