// The player endpoint's WebSocket framing (our own, src/gateway/client_frame_parser) against an independent client:
// Node's `ws`, which checks every frame the server sends (masking, reserved bits, lengths, close codes) and errors
// on any it would not accept. Starts `umpire serve` in dev mode and checks: the binary Hello on open, a ping
// answered with its payload, a fragmented message put back together (answered with a protocol error, as its bytes
// are not a valid message), an oversized message closed with 1009 after an error message, a text frame closed with
// 1003, and a client's close echoed with its code.
// Usage: node player_ws_interop.mjs PATH_TO_UMPIRE
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const umpire = process.argv[2];
const stateDir = mkdtempSync(join(tmpdir(), 'umpire-ws-interop-'));
const server = spawn(umpire, ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
  '--devnode-listen', '127.0.0.1:0', '--state-dir', stateDir, '--log-level', 'warning'],
{ stdio: ['ignore', 'ignore', 'pipe'] });

let failures = 0;
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures += 1;
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

async function playerUrl() {
  let text = '';
  return withTimeout(new Promise((resolve, reject) => {
    server.stderr.on('data', (chunk) => {
      text += chunk.toString();
      const match = text.match(/players at (ws:\/\/\S+?)[,\s]/);
      if (match) resolve(match[1]);
    });
    server.on('exit', (code) => reject(new Error(`umpire serve exited (${code}):\n${text}`)));
  }), 30000, 'umpire serve to start');
}

// A connection that records what it is sent, and how it ends.
function connect(url) {
  const ws = new WebSocket(url);
  const state = { ws, messages: [], pongs: [], errors: [], closed: null, waiters: [] };
  const wake = () => { for (const w of state.waiters.splice(0)) w(); };
  ws.on('message', (data, isBinary) => { state.messages.push({ data, isBinary }); wake(); });
  ws.on('pong', (data) => { state.pongs.push(data.toString()); wake(); });
  ws.on('error', (error) => { state.errors.push(error.message); wake(); });
  ws.on('close', (code, reason) => { state.closed = { code, reason: reason.toString() }; wake(); });
  state.until = (predicate, what) => withTimeout(new Promise((resolve) => {
    const test = () => (predicate() ? resolve() : state.waiters.push(test));
    test();
  }), 10000, what);
  return state;
}

async function main() {
  const url = await playerUrl();
  console.log(`-- player endpoint ${url}`);

  const a = connect(url);
  await a.until(() => a.messages.length >= 1, 'the Hello');
  check(a.messages[0].isBinary && a.messages[0].data.length > 0, 'the first message is a binary Hello');
  a.ws.ping('are you there');
  await a.until(() => a.pongs.length >= 1, 'a pong');
  check(a.pongs[0] === 'are you there', 'a ping is answered with its payload');
  // One message in three frames: not a valid umpire.v1 message, so the server answers it with an error message.
  a.ws.send(Buffer.from([0xff, 0xff]), { fin: false, binary: true });
  a.ws.send(Buffer.from([0xff, 0xff]), { fin: false, binary: true });
  a.ws.send(Buffer.from([0xff]), { fin: true, binary: true });
  await a.until(() => a.messages.length >= 2, 'the answer to a fragmented message');
  await new Promise((resolve) => setTimeout(resolve, 300));  // an answer per fragment would have come by now
  check(a.messages.length === 2 && a.messages[1].isBinary, 'a fragmented message is read as one and answered once');
  a.ws.close(1000, 'done');
  await a.until(() => a.closed !== null, 'the close');
  check(a.closed.code === 1000, `a client's close is echoed with its code (got ${a.closed.code})`);
  check(a.errors.length === 0, `no frame from the server was refused by ws (${a.errors.join('; ')})`);

  const big = connect(url);
  await big.until(() => big.messages.length >= 1, 'the Hello');
  big.ws.send(Buffer.alloc(64 * 1024, 1));
  await big.until(() => big.closed !== null, 'the close after an oversized message');
  check(big.closed.code === 1009, `an oversized message is closed with 1009 (got ${big.closed.code})`);
  check(big.messages.length === 2, 'after an error message telling why');
  check(big.errors.length === 0, `no frame from the server was refused by ws (${big.errors.join('; ')})`);

  const text = connect(url);
  await text.until(() => text.messages.length >= 1, 'the Hello');
  text.ws.send('a text frame');
  await text.until(() => text.closed !== null, 'the close after a text frame');
  check(text.closed.code === 1003, `a text frame is closed with 1003 (got ${text.closed.code})`);
  check(text.errors.length === 0, `no frame from the server was refused by ws (${text.errors.join('; ')})`);
}

try {
  await main();
} catch (error) {
  console.log(`FAIL ${error.message}`);
  failures += 1;
} finally {
  server.kill('SIGTERM');
  rmSync(stateDir, { recursive: true, force: true });
}
if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('player endpoint interop: all checks passed');
