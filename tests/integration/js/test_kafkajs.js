#!/usr/bin/env node
// kafkajs 2.2.4 against a real samsad: admin createTopics/listTopics/fetchTopicMetadata/fetchTopicOffsets/
// deleteTopics and an acks=-1 producer. Starts its own broker (SAMSAD env var, else <repo>/build/src/daemon/samsad).
// kafkajs consumes only through a consumer group; reading messages back is covered by test_kafkajs_groups.js.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const harness = require('./harness');
const { Kafka, logLevel, CompressionTypes, WATCHDOG_MS, log, sleep, startBroker, stopBroker, logTail, assertAlive } = harness;
harness.configure('kafkajs-test', 'samsa-it-kafkajs-');

// ---- tests ---------------------------------------------------------------------------------------------

async function testAdmin(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = ['js-admin-a', 'js-admin-b'];
    const created = await admin.createTopics({
      topics: [{ topic: topics[0], numPartitions: 3, replicationFactor: 1 },
               { topic: topics[1], numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true, timeout: 20000,
    });
    assert.equal(created, true, 'createTopics must report the topics as created');
    const again = await admin.createTopics({ topics: [{ topic: topics[0], numPartitions: 3 }], timeout: 20000 });
    assert.equal(again, false, 'createTopics on an existing topic returns false (TOPIC_ALREADY_EXISTS)');

    const listed = await admin.listTopics();
    for (const t of topics) assert.ok(listed.includes(t), `listTopics misses ${t}: ${listed}`);

    const md = await admin.fetchTopicMetadata({ topics: [topics[0]] });
    assert.equal(md.topics.length, 1);
    assert.equal(md.topics[0].name, topics[0]);
    const parts = md.topics[0].partitions.slice().sort((a, b) => a.partitionId - b.partitionId);
    assert.deepEqual(parts.map((p) => p.partitionId), [0, 1, 2]);
    for (const p of parts) {
      assert.equal(p.partitionErrorCode, 0, JSON.stringify(p));
      assert.equal(p.leader, 1, JSON.stringify(p));
      assert.deepEqual(p.replicas, [1]);
      assert.deepEqual(p.isr, [1]);
    }
    const cluster = await admin.describeCluster();
    assert.equal(cluster.controller, 1, `controller ${JSON.stringify(cluster)}`);
    assert.deepEqual(cluster.brokers.map((b) => b.nodeId), [1]);
    assert.ok(cluster.clusterId, 'cluster id must be set');

    const offs = await admin.fetchTopicOffsets(topics[0]);
    assert.deepEqual(offs.map((o) => [o.partition, o.low, o.high]).sort(),
      [[0, '0', '0'], [1, '0', '0'], [2, '0', '0']], JSON.stringify(offs));

    await admin.deleteTopics({ topics, timeout: 20000 });
    const deadline = Date.now() + 20000;
    let after;
    do {
      after = await admin.listTopics();
      if (!topics.some((t) => after.includes(t))) break;
      await sleep(200);
    } while (Date.now() < deadline);
    for (const t of topics) assert.ok(!after.includes(t), `deleted topic ${t} still listed: ${after}`);
    await assert.rejects(admin.deleteTopics({ topics: ['js-never-existed'], timeout: 10000 }),
      (e) => /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i.test(`${e.message} ${e.type}`) ||
             (e.errors || []).some((x) => x.type === 'UNKNOWN_TOPIC_OR_PARTITION'),
      'deleting an unknown topic must fail with UNKNOWN_TOPIC_OR_PARTITION');
  } finally {
    await admin.disconnect();
  }
}

async function testProduce(kafka) {
  const topic = 'js-produce';
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    assert.equal(await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true, timeout: 20000,
    }), true);
    const N = 1000;
    const perPartition = [0, 0, 0];
    const t0 = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      const messages = [];
      for (let i = batch * 100; i < (batch + 1) * 100; i++) {
        messages.push({ key: `k${i}`, value: `value-${i}`, partition: i % 3, headers: { idx: `${i}` } });
      }
      const res = await producer.send({ topic, acks: -1, timeout: 30000, messages,
        compression: batch % 2 ? CompressionTypes.GZIP : CompressionTypes.None });
      // One result per partition: baseOffset is the offset of that partition's first message in this send.
      assert.equal(res.length, 3, JSON.stringify(res));
      for (const r of res) {
        assert.equal(r.topicName, topic);
        assert.equal(r.errorCode, 0, JSON.stringify(r));
        assert.equal(r.baseOffset, `${perPartition[r.partition]}`,
          `batch ${batch}: partition ${r.partition} baseOffset ${r.baseOffset}, expected ${perPartition[r.partition]}`);
      }
      for (const m of messages) perPartition[m.partition]++;
    }
    log(`produced ${N} messages with acks=-1 in ${Date.now() - t0} ms`);

    const offs = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(offs.map((o) => [o.partition, o.low, o.high]).sort(),
      [[0, '0', '334'], [1, '0', '333'], [2, '0', '333']], JSON.stringify(offs));

    // acks=1 continues the offsets; auto-creation through Metadata for a new topic works too.
    const r1 = await producer.send({ topic, acks: 1, messages: [{ value: 'acks1', partition: 2 }] });
    assert.equal(r1[0].baseOffset, '333');
    const auto = kafka.producer({ allowAutoTopicCreation: true });
    await auto.connect();
    try {
      const r2 = await auto.send({ topic: 'js-auto-created', acks: -1, messages: [{ value: 'x' }, { value: 'y' }] });
      assert.equal(r2.length, 1);
      assert.deepEqual([r2[0].partition, r2[0].errorCode, r2[0].baseOffset], [0, 0, '0']);
    } finally {
      await auto.disconnect();
    }
    const ts = await admin.fetchTopicOffsetsByTimestamp(topic, 0);
    assert.deepEqual(ts.map((o) => [o.partition, o.offset]).sort(), [[0, '0'], [1, '0'], [2, '0']],
      `fetchTopicOffsetsByTimestamp(0): ${JSON.stringify(ts)}`);
    // TODO(groups): consume `topic` with a kafkajs consumer group and compare keys/values/headers/offsets.
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`WATCHDOG: kafkajs test exceeded ${WATCHDOG_MS / 1000} s\n${logTail()}`);
    harness.kill();
    process.exit(3);
  }, WATCHDOG_MS);
  const bootstrap = await startBroker({});
  const kafka = new Kafka({
    clientId: 'samsa-it-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR,
    connectionTimeout: 3000, requestTimeout: 30000, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const tests = [['admin create/list/metadata/offsets/delete', testAdmin], ['producer acks=-1 1000 messages', testProduce]];
  let failed = 0;
  for (const [name, fn] of tests) {
    try {
      await fn(kafka);
      assertAlive(`after ${name}`);
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL - ${name}\n${e && e.stack ? e.stack : e}`);
    }
  }
  if (failed) console.error(logTail());
  await stopBroker();
  clearTimeout(watchdog);
  if (!failed && process.env.SAMSA_KEEP_DATA !== '1') fs.rmSync(harness.workdir(), { recursive: true, force: true });
  console.log(failed ? `${failed} of ${tests.length} failed` : `all ${tests.length} passed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}\n${logTail()}`);
  harness.kill();
  process.exit(1);
});
