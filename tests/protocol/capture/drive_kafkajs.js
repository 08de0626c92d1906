// Drive kafkajs 2.2.4 against the fake broker.
//
// Usage: NODE_PATH=/tmp/kjs/node_modules node drive_kafkajs.js PORT
// (kafkajs is installed outside the repository, see capture_all.sh).
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const TOPIC = 'golden'
const port = process.argv[2]

const kafka = new Kafka({
  clientId: 'kafkajs-golden',
  brokers: [`127.0.0.1:${port}`],
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
})

async function main() {
  const admin = kafka.admin()
  await admin.connect()
  // The topic exists already; the fake broker answers TOPIC_ALREADY_EXISTS.
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })

  const producer = kafka.producer()
  await producer.connect()
  const res = await producer.send({
    topic: TOPIC,
    messages: [{ key: 'k1', value: 'hello golden', headers: { h1: 'v1' }, partition: 0 }],
  })
  console.log('produced', JSON.stringify(res))
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets(TOPIC)
  console.log('offsets', JSON.stringify(offsets))
  await admin.disconnect()

  const consumer = kafka.consumer({ groupId: 'golden-group', maxWaitTimeInMs: 500, heartbeatInterval: 300 })
  await consumer.connect()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  const got = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('consume timed out')), 15000)
    consumer.run({
      eachMessage: async ({ message }) => {
        clearTimeout(timer)
        resolve(message)
      },
    }).catch(reject)
  })
  console.log('consumed key=%s value=%s headers=%j offset=%s',
    got.key.toString(), got.value.toString(),
    Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, v.toString()])),
    got.offset)
  // Keep fetching a little longer so that at least one Heartbeat goes out.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await consumer.disconnect()
}

const deadline = setTimeout(() => { console.error('kafkajs driver: overall timeout'); process.exit(2) }, 45000)
main().then(() => { clearTimeout(deadline) }, (err) => {
  console.error('kafkajs driver failed:', err)
  process.exit(1)
})
