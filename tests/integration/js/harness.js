'use strict';
// Shared by the kafkajs tests: starts a real samsad (SAMSAD env var, else <repo>/build/src/daemon/samsad) on a free
// loopback port with a temp data dir, waits for it, stops it, and shows its log on failure.
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
let name = 'kafkajs-test';
let prefix = 'samsa-it-kafkajs-';
let logPath = null;
let workdir = null;

function log(msg) {
  process.stderr.write(`[${name} ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
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
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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

function kill() {
  if (broker && !broker.exited) broker.kill('SIGKILL');
}

module.exports = {
  Kafka, logLevel, CompressionTypes, WATCHDOG_MS, log, sleep, startBroker, stopBroker, logTail, assertAlive, kill,
  workdir: () => workdir,
  // The test's name (for log lines) and its temp-dir prefix.
  configure(testName, tempPrefix) { name = testName; prefix = tempPrefix; },
};
