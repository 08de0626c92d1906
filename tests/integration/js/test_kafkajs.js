#!/usr/bin/env node
// kafkajs 2.2.4 against a real samsad: admin createTopics/listTopics/fetchTopicMetadata/fetchTopicOffsets/
// deleteTopics and an acks=-1 producer. Starts its own broker (SAMSAD env var, else <repo>/build/src/daemon/samsad).
//
// TODO(groups): kafkajs can only consume through a consumer group (no manual assignment). Once the broker
// implements FindCoordinator/JoinGroup/SyncGroup/Heartbeat/OffsetCommit/OffsetFetch, add a consumer here that
// reads every produced message back (content, order, offsets) instead of checking offsets via the admin API only.
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
  process.stderr.write(`[kafkajs-test ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
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
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-it-kafkajs-'));
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
    if (broker && !broker.exited) broker.kill('SIGKILL');
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
  if (!failed && process.env.SAMSA_KEEP_DATA !== '1') fs.rmSync(workdir, { recursive: true, force: true });
  console.log(failed ? `${failed} of ${tests.length} failed` : `all ${tests.length} passed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}\n${logTail()}`);
  if (broker && !broker.exited) broker.kill('SIGKILL');
  process.exit(1);
});
