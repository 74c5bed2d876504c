// node `ws` (Debian's node-ws 8.11) straight against the mock's HTTP and
// HTTPS connectors: text echo, 3 text fragments, 64 KiB binary, ping/pong
// payload, close 1000 "bye" and 1001 echoed, permessage-deflate answer.
// HTTPS trusts only the test CA the mock writes with --ca-out.
//
// Starts `$WSSIM mock-tomcat` itself (own process group), stops it at the
// end and on any exit; the whole script is bounded by BUDGET_MS.
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BUDGET_MS = 90000;
const STEP_MS = 5000;
const ECHO = '/examples/websocket/echoProgrammatic';
const PMD_ANSWER = 'permessage-deflate;client_max_window_bits=15';

let passed = 0;
let failed = 0;
let mock = null;
let tmp = null;

function check(what, ok, detail) {
  if (ok) {
    passed++;
    console.log('  ok   ' + what);
  } else {
    failed++;
    console.log('  FAIL ' + what + (detail ? ': ' + detail : ''));
  }
}

function eq(what, got, want) {
  check(what, got === want, 'got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

function cleanup() {
  if (mock && mock.exitCode === null && mock.signalCode === null) {
    try { process.kill(-mock.pid, 'SIGKILL'); } catch (e) { /* gone */ }
  }
  if (tmp) {
    fs.rmSync(tmp, { recursive: true, force: true });
    tmp = null;
  }
}

function finish(code) {
  cleanup();
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(code);
}

function missing(what, hint) {
  if ((process.env.CI || '').toLowerCase() === 'true') {
    console.log('FAIL (CI=true, every peer must be installed): ' + what + ' is missing (' + hint + ')');
    failed++;
    finish(1);
  }
  console.log('SKIP: ' + what + ' is missing (' + hint + ')');
  cleanup();
  process.exit(77);
}

process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { console.log('stopped by ' + sig); failed++; finish(1); });
}
setTimeout(() => {
  console.log('FAIL: the script ran over its ' + BUDGET_MS / 1000 + ' s budget');
  failed++;
  finish(1);
}, BUDGET_MS).unref();

let WebSocket;
try {
  WebSocket = require('ws');
} catch (e) {
  missing("node module 'ws'", 'apt-get install node-ws; NODE_PATH=/usr/share/nodejs');
}

function withTimeout(promise, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(what + ': no answer within ' + STEP_MS + ' ms')), STEP_MS);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Start the mock; resolve with { http: port, https: port } from its
// "listening <conn> <addr>:<port>" lines.
function startMock(wssim, caPath) {
  mock = spawn(wssim, ['mock-tomcat', '--http', '0', '--https', '0', '--ca-out', caPath],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  mock.stderr.on('data', (d) => { stderr += d; });
  return withTimeout(new Promise((resolve, reject) => {
    const ports = {};
    let buf = '';
    mock.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^listening (\w+) (.*):(\d+)$/.exec(line);
        if (!m) return reject(new Error('unexpected stdout line ' + JSON.stringify(line)));
        ports[m[1]] = Number(m[3]);
        if (ports.http && ports.https) resolve(ports);
      }
    });
    mock.on('exit', (code) => reject(new Error('mock-tomcat exited (' + code + ') before listening: ' + stderr)));
  }), 'mock-tomcat start').then((ports) => {
    mock.removeAllListeners('exit');
    mock.getStderr = () => stderr;
    return ports;
  });
}

// Open a websocket; resolve with { ws, res } once open.
function open(url, opts) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    let res = null;
    ws.on('upgrade', (r) => { res = r; });
    ws.on('open', () => resolve({ ws, res }));
    ws.on('error', reject);
  }), 'open ' + url);
}

function nextMessage(ws) {
  return withTimeout(new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve({ data, isBinary }));
    ws.once('close', (code) => reject(new Error('closed ' + code + ' instead of a message')));
  }), 'message');
}

function closed(ws) {
  return withTimeout(new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  }), 'close');
}

async function checkConn(name, url, opts) {
  console.log('-- node ws on the ' + name + ' connector');
  {
    const { ws, res } = await open(url, opts);
    eq(name + ': status 101', res.statusCode, 101);
    eq(name + ': empty reason phrase (Tomcat)', res.statusMessage, '');
    eq(name + ': Sec-WebSocket-Extensions answer', res.headers['sec-websocket-extensions'], PMD_ANSWER);
    eq(name + ': permessage-deflate in use', ws.extensions, 'permessage-deflate');

    ws.send('hello');
    let m = await nextMessage(ws);
    check(name + ": text 'hello' echoed", !m.isBinary && m.data.toString() === 'hello', String(m.data));

    ws.send('frag-1 ', { fin: false });
    ws.send('frag-2 ', { fin: false });
    ws.send('frag-3', { fin: true });
    m = await nextMessage(ws);
    check(name + ': 3 text fragments echoed', !m.isBinary && m.data.toString() === 'frag-1 frag-2 frag-3',
      String(m.data));

    const data = crypto.randomBytes(64 * 1024);
    ws.send(data);
    m = await nextMessage(ws);
    check(name + ': 64 KiB binary echoed', m.isBinary && Buffer.compare(m.data, data) === 0,
      'got ' + m.data.length + ' bytes');

    const payload = Buffer.from('ping-payload-42');
    const pong = withTimeout(new Promise((resolve) => ws.once('pong', resolve)), 'pong');
    ws.ping(payload);
    const got = await pong;
    check(name + ": pong with the ping's payload", Buffer.compare(got, payload) === 0, got.toString());

    const c = closed(ws);
    ws.close(1000, 'bye');
    const r = await c;
    eq(name + ': close 1000 echoed (code)', r.code, 1000);
    eq(name + ': close 1000 echoed (reason)', r.reason, 'bye');
  }
  {
    const { ws } = await open(url, opts);
    const c = closed(ws);
    ws.close(1001);
    const r = await c;
    eq(name + ': close 1001 echoed', r.code, 1001);
  }
}

async function main() {
  const wssim = process.env.WSSIM;
  if (!wssim || !fs.existsSync(wssim)) throw new Error('env WSSIM is not the built wssim: ' + wssim);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wssim-node-'));
  const caPath = path.join(tmp, 'ca.pem');
  const ports = await startMock(wssim, caPath);
  console.log('mock: http ' + ports.http + ', https ' + ports.https);
  const ca = fs.readFileSync(caPath);

  const cases = [
    ['HTTP', 'ws://127.0.0.1:' + ports.http + ECHO, {}],
    ['HTTPS', 'wss://127.0.0.1:' + ports.https + ECHO, { ca, servername: 'localhost' }],
  ];
  for (const [name, url, opts] of cases) {
    try {
      await checkConn(name, url, opts);
    } catch (e) {
      check(name + ' connector', false, e.stack);
    }
  }

  console.log('-- HTTPS certificate');
  try {
    const { ws } = await open('wss://127.0.0.1:' + ports.https + ECHO, { ca });
    check('wss://127.0.0.1 verified by its IP SAN', true);
    ws.terminate();
  } catch (e) {
    check('wss://127.0.0.1 verified by its IP SAN', false, e.message);
  }
  try {
    const { ws } = await open('wss://127.0.0.1:' + ports.https + ECHO, { servername: 'localhost' });
    ws.terminate();
    check('the cert does not verify without the test CA', false, 'it opened');
  } catch (e) {
    check('the cert does not verify without the test CA (' + e.code + ')', /CERT|SIGNATURE|ISSUER/.test(e.code || ''),
      e.message);
  }

  console.log('-- mock shutdown');
  const exited = new Promise((resolve) => mock.once('exit', (code, sig) => resolve(code === null ? sig : code)));
  process.kill(-mock.pid, 'SIGTERM');
  eq('mock exits 0 on SIGTERM', await withTimeout(exited, 'mock exit'), 0);
  if (failed) console.log('---- mock-tomcat stderr ----\n' + mock.getStderr());
}

main().then(() => finish(failed ? 1 : 0), (e) => {
  check('node_ws_direct', false, e.stack);
  if (mock && mock.getStderr) console.log('---- mock-tomcat stderr ----\n' + mock.getStderr());
  finish(1);
});
