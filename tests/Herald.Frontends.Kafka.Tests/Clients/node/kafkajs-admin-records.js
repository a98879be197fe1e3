// kafkajs admin: createPartitions, deleteTopicRecords and describeCluster against a Herald broker, for
// tests/Herald.Frontends.Kafka.Tests; prints one JSON report.
// Usage: node kafkajs-admin-records.js BOOTSTRAP TOPIC
// Creates TOPIC with one partition and ten records, grows it to three partitions (then tries to shrink it), deletes
// the records below offset 4, then tries an offset beyond the high watermark, and describes the cluster.
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic] = [process.argv[2], process.argv[3]]

async function failure (action) {
  try {
    await action()
    return null
  } catch (e) {
    // kafkajs reports the Kafka error name in different places depending on the call.
    const type = e.type || (e.cause && e.cause.type) || (e.originalError && e.originalError.type) ||
      (e.partitions && e.partitions[0] && e.partitions[0].error && e.partitions[0].error.type) ||
      (e.errors && e.errors[0] && e.errors[0].type) || null
    return { name: e.name, type, message: e.message }
  }
}

async function main () {
  const kafka = new Kafka({ clientId: 'herald-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  const report = {}
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = 0; i < 10; i++) messages.push({ value: `r-${i}`, partition: 0 })
  await producer.send({ topic, messages })
  await producer.disconnect()

  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
  report.partitionsAfterGrow = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length
  report.shrink = await failure(() => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }))

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] })
  report.offsetsAfterDelete = (await admin.fetchTopicOffsets(topic)).map(o => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
  report.beyondHighWatermark = await failure(() => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '50' }] }))
  report.lowAfterFailure = Number((await admin.fetchTopicOffsets(topic)).find(o => o.partition === 0).low)

  const cluster = await admin.describeCluster()
  report.cluster = { brokers: cluster.brokers.map(b => ({ nodeId: b.nodeId, host: b.host, port: b.port })), controller: cluster.controller, clusterId: cluster.clusterId }
  await admin.disconnect()
  console.log(JSON.stringify(report))
}

main().catch(e => { console.error(e); process.exit(1) })
