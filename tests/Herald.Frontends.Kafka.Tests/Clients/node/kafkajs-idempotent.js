// An idempotent kafkajs producer (idempotent: true: acks -1, one request in flight, sequence numbers per partition)
// for tests/Herald.Frontends.Kafka.Tests; prints one JSON report.
// Usage: node kafkajs-idempotent.js BOOTSTRAP TOPIC PARTITIONS COUNT
// Sends COUNT records "v-I" to partition I % PARTITIONS, ten per send() call. When a proxy cuts the connection with
// a request in flight, kafkajs retries it with the same sequence numbers.
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, partitions, count] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])]

async function main () {
  const kafka = new Kafka({
    clientId: 'herald-idempotent',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 }
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const report = { sent: [], errors: [] }
  for (let start = 0; start < count; start += 10) {
    const messages = []
    for (let i = start; i < Math.min(start + 10, count); i++) {
      messages.push({ value: `v-${i}`, partition: i % partitions })
    }
    try {
      const results = await producer.send({ topic, messages, acks: -1 })
      report.sent.push(...results.map(r => ({ partition: r.partition, baseOffset: Number(r.baseOffset), errorCode: r.errorCode })))
    } catch (e) {
      report.errors.push(`${e.name}: ${e.message}`)
    }
  }
  await producer.disconnect()
  console.log(JSON.stringify(report))
}

main().catch(e => { console.error(e); process.exit(1) })
