'use strict';
// Driven by tests/integration/test_failover_clients.py against a 3-node cluster it kills nodes of: a kafkajs
// idempotent producer (acks=-1) and a kafkajs group consumer run until `stop` appears on stdin. On stop, the producer
// finishes, the consumer drains what was acknowledged, and one JSON line reports what was acknowledged, consumed and
// failed. Usage: node failover_client.js <bootstrap,...> <topic> <group>
const readline = require('node:readline');
const { Kafka, logLevel } = require('kafkajs');

const [brokers, topic, groupId] = [process.argv[2].split(','), process.argv[3], process.argv[4]];
const kafka = new Kafka({
  clientId: 'samsa-it-failover', brokers, logLevel: logLevel.NOTHING,
  retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 2000 },
});

async function main() {
  const acked = [];
  const failed = [];
  const consumed = new Set();
  let stopping = false;
  readline.createInterface({ input: process.stdin }).on('line', (l) => { if (l.trim() === 'stop') stopping = true; });

  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500, retry: { retries: 30 } });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { consumed.add(message.value.toString()); } });

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'js-warmup', value: 'js-warmup' }] });
  acked.push('js-warmup');
  process.stdout.write('ready\n');  // the harness starts killing brokers only now
  let seq = 0;
  while (!stopping) {
    const values = [];
    for (let i = 0; i < 10; i++) values.push(`js-${String(seq++).padStart(7, '0')}`);
    try {
      await producer.send({ topic, acks: -1, timeout: 10000, messages: values.map((v) => ({ key: v, value: v })) });
      acked.push(...values);
    } catch (e) {
      failed.push(...values);
    }
  }
  await producer.disconnect().catch(() => {});
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline && acked.some((v) => !consumed.has(v))) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await consumer.disconnect().catch(() => {});
  const missing = acked.filter((v) => !consumed.has(v));
  process.stdout.write(JSON.stringify({ acked: acked.length, failed: failed.length, consumed: consumed.size,
                                        missing: missing.slice(0, 20), missing_count: missing.length }) + '\n');
}

main().then(() => process.exit(0), (e) => { process.stderr.write(`failover_client: ${e.stack || e}\n`); process.exit(2); });
