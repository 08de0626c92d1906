#!/usr/bin/env node
// Consumer groups with kafkajs 2.2.4 against a real samsad: a group consumer (eachMessage) reads every message
// (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3, Heartbeat v3, OffsetCommit v5, OffsetFetch v4, LeaveGroup v3),
// and the admin client's describeGroups / listGroups / fetchOffsets / setOffsets / resetOffsets / deleteGroups.
// Broker start-up helpers are the same as test_kafkajs.js.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

let Kafka, logLevel, CompressionTypes;
try {
  ({ Kafka, logLevel, CompressionTypes } = require('kafkajs'));
} catch (e) {
  console.error('FAIL: kafkajs is not installed in tests/integration/js/node_modules; run scripts/setup.sh ' +
                '(npm ci in tests/integration/js). ' + e.message);
  process.exit(1);
}

const REPO = path.resolve(__dirname, '..', '..', '..');
const BINARY = process.env.SAMSAD || path.join(REPO, 'build', 'src', 'daemon', 'samsad');
const WATCHDOG_MS = 240000;

let broker = null;
let logPath = null;
let workdir = null;

function log(msg) {
  process.stderr.write(`[kafkajs-groups ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(500, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startBroker(overrides) {
  if (!fs.existsSync(BINARY)) {
    console.error(`SKIP/FAIL: broker binary not found: ${BINARY} (build it, or set SAMSAD)`);
    process.exit(77);
  }
  const port = await freePort();
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-it-kafkajs-groups-'));
  const dataDir = path.join(workdir, 'data');
  fs.mkdirSync(dataDir);
  logPath = path.join(workdir, 'samsad.stderr.log');
  const conf = Object.assign({ 'node.id': '1', 'num.partitions': '1', 'auto.create.topics.enable': 'true' }, overrides,
    { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir });
  const args = [];
  for (const [k, v] of Object.entries(conf)) args.push('--override', `${k}=${v}`);
  const out = fs.openSync(logPath, 'a');
  fs.writeSync(out, `===== ${BINARY} ${args.join(' ')}\n`);
  broker = spawn(BINARY, args, { stdio: ['ignore', out, out] });
  broker.exited = false;
  broker.on('exit', (code, sig) => { broker.exited = true; broker.exitInfo = `code ${code} signal ${sig}`; });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (broker.exited) throw new Error(`samsad exited during startup (${broker.exitInfo})\n${logTail()}`);
    if (await canConnect(port)) {
      log(`samsad pid ${broker.pid} listening on 127.0.0.1:${port}`);
      return `127.0.0.1:${port}`;
    }
    await sleep(50);
  }
  throw new Error(`samsad did not listen on ${port} within 20 s\n${logTail()}`);
}

async function stopBroker() {
  if (!broker || broker.exited) return;
  broker.kill('SIGTERM');
  const deadline = Date.now() + 5000;
  while (!broker.exited && Date.now() < deadline) await sleep(50);
  if (!broker.exited) { log('SIGTERM ignored for 5 s; SIGKILL'); broker.kill('SIGKILL'); }
}

function logTail(lines = 80) {
  try {
    const all = fs.readFileSync(logPath, 'utf8').split('\n');
    return `----- samsad stderr (${logPath}) -----\n${all.slice(-lines).join('\n')}\n----- end -----`;
  } catch (e) { return `(no broker log: ${e.message})`; }
}

function assertAlive(what) {
  assert.ok(broker && !broker.exited, `samsad is not running ${what} (${broker && broker.exitInfo})`);
}

process.on('exit', () => { if (broker && !broker.exited) broker.kill('SIGKILL'); });


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
    if (broker && !broker.exited) broker.kill('SIGKILL');
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
  if (!failed && process.env.SAMSA_KEEP_DATA !== '1') fs.rmSync(workdir, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}\n${logTail()}`);
  if (broker && !broker.exited) broker.kill('SIGKILL');
  process.exit(1);
});
