#!/usr/bin/env node
// Consumer groups with kafkajs 2.2.4 against a real samsad: a group consumer (eachMessage) reads every message
// (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3, Heartbeat v3, OffsetCommit v5, OffsetFetch v4, LeaveGroup v3),
// and the admin client's describeGroups / listGroups / fetchOffsets / setOffsets / resetOffsets / deleteGroups.
// Broker start-up helpers are the same as test_kafkajs.js.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const harness = require('./harness');
const { Kafka, logLevel, CompressionTypes, WATCHDOG_MS, log, sleep, startBroker, stopBroker, logTail, assertAlive } = harness;
harness.configure('kafkajs-groups', 'samsa-it-kafkajs-groups-');


// ---- tests ---------------------------------------------------------------------------------------------

const TOPIC = 'js-groups';
const GROUP = 'js-group';
const N = 300;

async function consumeAll(kafka, groupId, expected, timeoutMs = 40000) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const got = [];
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ partition, offset: message.offset, key: message.key && message.key.toString(),
        value: message.value.toString(), idx: message.headers.idx && message.headers.idx.toString() });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (got.length < expected && Date.now() < deadline) await sleep(50);
  return { consumer, got };
}

async function testGroups(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  try {
    assert.equal(await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true, timeout: 20000,
    }), true);
    const messages = [];
    for (let i = 0; i < N; i++) messages.push({ key: `k${i}`, value: `v${i}`, partition: i % 3, headers: { idx: `${i}` } });
    await producer.send({ topic: TOPIC, acks: -1, messages });

    // 1. A group consumer reads every message once, in order per partition.
    const { consumer, got } = await consumeAll(kafka, GROUP, N);
    assert.equal(got.length, N, `consumed ${got.length} of ${N}`);
    for (const m of got) {
      const i = Number(m.idx);
      assert.deepEqual([m.key, m.value, m.partition, m.offset], [`k${i}`, `v${i}`, i % 3, `${Math.floor(i / 3)}`]);
    }
    assert.equal(new Set(got.map((m) => m.idx)).size, N, 'no duplicates');

    // 2. Describe the running group.
    const { groups: [desc] } = await admin.describeGroups([GROUP]);
    assert.equal(desc.groupId, GROUP);
    assert.equal(desc.errorCode, 0);
    assert.equal(desc.state, 'Stable');
    assert.equal(desc.protocolType, 'consumer');
    assert.equal(desc.protocol, 'RoundRobinAssigner');
    assert.equal(desc.members.length, 1);
    assert.equal(desc.members[0].clientId, 'samsa-it-kafkajs-groups');
    assert.ok(desc.members[0].memberAssignment.length > 0, 'assignment bytes are kept for DescribeGroups');
    const listed = await admin.listGroups();
    assert.ok(listed.groups.some((g) => g.groupId === GROUP && g.protocolType === 'consumer'), JSON.stringify(listed));

    // A group with members cannot be deleted.
    await assert.rejects(admin.deleteGroups([GROUP]), (e) => /NON_EMPTY_GROUP|not empty/i.test(
      `${e.message} ${JSON.stringify(e.groups || [])}`) || (e.groups || []).some((g) => g.error && g.error.type === 'NON_EMPTY_GROUP'));

    // 3. Stopping commits; the committed offsets are the partition ends.
    await consumer.disconnect();
    let offs = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(offs[0].partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '100'], [1, '100'], [2, '100']],
      JSON.stringify(offs));
    const { groups: [empty] } = await admin.describeGroups([GROUP]);
    assert.equal(empty.state, 'Empty');

    // 4. setOffsets / resetOffsets on the empty group, then a consumer starts where they point.
    await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '90' }] });
    offs = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.equal(offs[0].partitions.find((p) => p.partition === 0).offset, '90', JSON.stringify(offs));
    const again = await consumeAll(kafka, GROUP, 10, 20000);
    await sleep(500);
    assert.deepEqual(again.got.map((m) => [m.partition, m.offset]),
      Array.from({ length: 10 }, (_, k) => [0, `${90 + k}`]), 'resumed from the offset set by setOffsets');
    await again.consumer.disconnect();
    await admin.resetOffsets({ groupId: GROUP, topic: TOPIC, earliest: true });
    const all = await consumeAll(kafka, GROUP, N);
    assert.equal(all.got.length, N, `after resetOffsets(earliest): ${all.got.length} of ${N}`);
    await all.consumer.disconnect();

    // 5. deleteGroups on the now empty group: it and its offsets are gone.
    const res = await admin.deleteGroups([GROUP]);
    assert.deepEqual(res.map((r) => [r.groupId, r.errorCode]), [[GROUP, 0]]);
    offs = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(offs[0].partitions.map((p) => p.offset), ['-1', '-1', '-1'], JSON.stringify(offs));
    const after = await admin.listGroups();
    assert.ok(!after.groups.some((g) => g.groupId === GROUP), JSON.stringify(after));
    const { groups: [dead] } = await admin.describeGroups([GROUP]);
    assert.equal(dead.state, 'Dead');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`WATCHDOG: kafkajs groups test exceeded ${WATCHDOG_MS / 1000} s\n${logTail()}`);
    harness.kill();
    process.exit(3);
  }, WATCHDOG_MS);
  const bootstrap = await startBroker({ 'group.initial.rebalance.delay.ms': '300' });
  const kafka = new Kafka({
    clientId: 'samsa-it-kafkajs-groups', brokers: [bootstrap], logLevel: logLevel.ERROR,
    connectionTimeout: 3000, requestTimeout: 30000, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  let failed = 0;
  try {
    await testGroups(kafka);
    assertAlive('after the group tests');
    console.log('ok - kafkajs consumer group + admin group APIs');
  } catch (e) {
    failed++;
    console.log(`FAIL - kafkajs consumer group\n${e && e.stack ? e.stack : e}`);
    console.error(logTail());
  }
  await stopBroker();
  clearTimeout(watchdog);
  if (!failed && process.env.SAMSA_KEEP_DATA !== '1') fs.rmSync(harness.workdir(), { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}\n${logTail()}`);
  harness.kill();
  process.exit(1);
});
