// Drives kafkajs against a Herald broker for tests/Herald.Frontends.Kafka.Tests and prints one JSON report.
// Usage: node kafkajs-roundtrip.js BOOTSTRAP TOPIC PARTITIONS
// Admin createTopics / fetchTopicMetadata / fetchTopicOffsets(ByTimestamp), then a producer send with keys and headers
// (the default partitioner is murmur2, as Java's). kafkajs consumers need consumer groups, which Herald does not serve
// yet, so the records are read back by the test with another client.
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, partitions] = [process.argv[2], process.argv[3], Number(process.argv[4])]

async function main () {
  const kafka = new Kafka({ clientId: 'herald-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const admin = kafka.admin()
  await admin.connect()
  const report = {}
  report.created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  report.duplicateCreate = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
  report.metadata = metadata.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ id: p.partitionId, leader: p.leader })) }))

  const producer = kafka.producer()
  await producer.connect()
  const before = Date.now() - 1
  const messages = []
  for (let i = 0; i < 30; i++) {
    messages.push({ key: `key-${i % 6}`, value: `value-${i}`, headers: { n: String(i) } })
  }
  const sent = await producer.send({ topic, messages, acks: -1 })
  report.sent = sent.map(r => ({ partition: r.partition, baseOffset: Number(r.baseOffset), errorCode: r.errorCode }))
  // One message per call shows which partition the client chose for each key.
  report.placements = []
  for (let i = 0; i < 6; i++) {
    const [result] = await producer.send({ topic, messages: [{ key: `key-${i}`, value: 'probe' }] })
    report.placements.push({ key: `key-${i}`, partition: result.partition })
  }
  await producer.disconnect()

  report.offsets = (await admin.fetchTopicOffsets(topic)).map(o => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
  report.offsetsByTimestamp = (await admin.fetchTopicOffsetsByTimestamp(topic, before)).map(o => ({ partition: o.partition, offset: Number(o.offset) }))
  await admin.disconnect()
  console.log(JSON.stringify(report))
}

main().catch(error => {
  console.error(error)
  process.exit(1)
})
