// Crash safety of `umpire devnode --db`: streams devnode_fund requests (a few in flight at a time), SIGKILLs the
// process mid-stream, restarts it on the same database and checks that nothing acknowledged was lost: the minted
// total after restart lies between what was acknowledged and what was sent, and the books still balance.
//   node tests/sdk/devnode_crash.mjs /path/to/build/src/cli/umpire [rounds]
// Then it runs devnode_conformance.mjs (sessions, submits, closes, transfers, revocation) against the same database,
// SIGKILLs, restarts and checks that the audit and the full app-session listing are identical across the kill.
// Exit code 0 when every round passes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const binary = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
if (!binary) {
  console.error('usage: node devnode_crash.mjs UMPIRE_BINARY [rounds]');
  process.exit(2);
}
const WALLET = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const IN_FLIGHT = 4;

// Starts the devnode and resolves with {child, url} once it prints its ws:// URL.
function startDevnode(db) {
  const child = spawn(binary, ['devnode', '--listen', '127.0.0.1:0', '--db', db, '--assets', 'usdc:6'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`devnode printed no URL: ${output}`)), 10000);
    const onData = (data) => {
      output += data.toString();
      const match = output.match(/ws:\/\/[^\s]+/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[0].endsWith('/ws') ? match[0] : `${match[0].replace(/\/$/, '')}/ws` });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`devnode exited with ${code}: ${output}`)));
  });
}

function connect(url) {
  const socket = new WebSocket(url);
  const replies = new Map();  // id → resolve
  socket.on('message', (data) => {
    const res = JSON.parse(data.toString()).res;
    const resolve = replies.get(res[0]);
    if (resolve) {
      replies.delete(res[0]);
      resolve(res);
    }
  });
  const call = (id, method, params) => new Promise((resolve) => {
    replies.set(id, resolve);
    socket.send(JSON.stringify({ req: [id, method, params, Date.now()], sig: [] }));
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, call }));
    socket.once('error', reject);
  });
}

const minted = (auditReply) => {
  const usdc = auditReply[2].assets.find((a) => a.asset === 'usdc');
  return usdc ? Number(usdc.minted) : 0;  // integral amounts only, so Number is exact here
};

async function round(db, index, state) {
  const { child, url } = await startDevnode(db);
  const node = await connect(url);
  const before = await node.call(1, 'devnode_audit', {});
  const restored = minted(before);
  if (restored < state.acknowledged || restored > state.sent) {
    throw new Error(`round ${index}: after restart minted ${restored}, acknowledged ${state.acknowledged}, sent ${state.sent}`);
  }
  if (before[2].balanced !== true) throw new Error(`round ${index}: books unbalanced after restart`);
  state.acknowledged = state.sent = restored;

  // Stream funding; kill after a random number of acknowledgements while requests are in flight.
  const killAfter = 50 + Math.floor(Math.random() * 150);
  let id = 100;
  let acked = 0;
  await new Promise((resolve) => {
    const sendOne = () => {
      state.sent += 1;
      node.call(id++, 'devnode_fund', { wallet: WALLET, asset: 'usdc', amount: '1' }).then((res) => {
        if (res[1] !== 'devnode_fund') throw new Error(`round ${index}: devnode_fund failed: ${JSON.stringify(res)}`);
        state.acknowledged += 1;
        acked += 1;
        if (acked === killAfter) {
          child.kill('SIGKILL');
          resolve();
        } else if (acked < killAfter) {
          sendOne();
        }
      });
    };
    for (let i = 0; i < IN_FLIGHT; i += 1) sendOne();
  });
  node.socket.terminate();
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', resolve)));
  console.log(`round ${index}: killed after ${acked} acknowledgements (${state.acknowledged} acknowledged in total)`);
}

// Everything a client can see without keys: the books and every app session (public reads).
async function snapshot(url) {
  const node = await connect(url);
  const audit = await node.call(1, 'devnode_audit', {});
  const sessions = await node.call(2, 'get_app_sessions', { limit: 100 });
  node.socket.terminate();
  return JSON.stringify({ audit: audit[2], sessions: sessions[2] });
}

async function conformanceThenKill(db) {
  const { child, url } = await startDevnode(db);
  const script = join(dirname(fileURLToPath(import.meta.url)), 'devnode_conformance.mjs');
  const code = await new Promise((resolve) => spawn(process.execPath, [script, url], { stdio: 'inherit' }).once('exit', resolve));
  if (code !== 0) throw new Error(`conformance run against the --db devnode failed (${code})`);
  const before = await snapshot(url);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const restarted = await startDevnode(db);
  const after = await snapshot(restarted.url);
  restarted.child.kill('SIGTERM');
  if (before !== after) throw new Error(`state differs across SIGKILL:\nbefore ${before}\nafter  ${after}`);
  console.log(`ok: sessions, balances and audit identical across SIGKILL (${JSON.parse(after).sessions.app_sessions.length} sessions)`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'devnode-crash-'));
  const db = join(dir, 'devnode.db');
  const state = { acknowledged: 0, sent: 0 };
  try {
    for (let i = 1; i <= rounds; i += 1) await round(db, i, state);
    const { child, url } = await startDevnode(db);
    const node = await connect(url);
    const audit = await node.call(1, 'devnode_audit', {});
    const restored = minted(audit);
    node.socket.terminate();
    child.kill('SIGTERM');
    if (restored < state.acknowledged || restored > state.sent || audit[2].balanced !== true) {
      throw new Error(`final: minted ${restored}, acknowledged ${state.acknowledged}, sent ${state.sent}`);
    }
    console.log(`ok: ${rounds} kills, ${restored} funded, nothing acknowledged was lost`);
    await conformanceThenKill(db);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(`FAIL ${error.stack ?? error}`);
  process.exit(1);
});
