// Drives a running devnode with the official Nitrolite SDK (@erc7824/nitrolite 0.5.3 + viem) and checks that what
// the devnode sends is what the SDK's own zod parsers accept, with the texts and orderings of ClearNode v0.5.2
// (see /work/shared/protocol/clearnode-v0.5.md). Funding uses the devnode-only `devnode_fund` method, so this
// script needs a devnode, not a real node.
//   node tests/sdk/devnode_conformance.mjs ws://127.0.0.1:PORT/ws
//   node tests/sdk/devnode_conformance.mjs stdio:/path/to/bridge   (an engine-only bridge speaking one JSON line per
//   frame: in {"open":N} | {"close":N} | {"conn":N,"frame":"…"}, out {"conn":N,"frame":"…"}; no sockets needed)
// Exit code 0 when every check passes; each failed check is printed with what was expected and what came back.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import * as sdk from '@erc7824/nitrolite';
import { createWalletClient, custom, keccak256, recoverAddress, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const url = process.argv[2] ?? process.env.DEVNODE_URL ?? 'ws://127.0.0.1:8000/ws';
const APP = 'umpire/tictactoe';
const ASSET = 'usdc';
const FRAME_TIMEOUT_MS = 5000;

let failures = 0;
let checks = 0;
function check(condition, what, detail = '') {
  checks += 1;
  if (condition) return;
  failures += 1;
  console.error(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
}
function checkEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, what, `expected ${e}, got ${a}`);
}

// The raw text of `res` in a server frame: signatures cover exactly these bytes (notes §1).
function rawRes(frame) {
  const start = frame.indexOf('{"res":');
  const end = frame.lastIndexOf(',"sig":[');
  if (start !== 0 || end < 0) throw new Error(`not a server frame: ${frame.slice(0, 120)}`);
  return frame.slice('{"res":'.length, end);
}

// The stdio bridge: many logical connections multiplexed over one child process.
let bridge;
function stdioSocket(conn) {
  if (!bridge) {
    const child = spawn(url.slice('stdio:'.length), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    bridge = { child, connections: new Map(), next: 1 };
    createInterface({ input: child.stdout }).on('line', (line) => {
      const out = JSON.parse(line);
      bridge.connections.get(out.conn)?.(out.frame);
    });
  }
  const number = bridge.next++;
  bridge.connections.set(number, (frame) => conn.push(frame));
  const write = (object) => bridge.child.stdin.write(JSON.stringify(object) + '\n');
  write({ open: number });
  return { send: (frame) => write({ conn: number, frame }), close: () => write({ close: number }) };
}

// One socket. Every frame is kept in arrival order; readers take them from the front.
class Connection {
  constructor(name) {
    this.name = name;
    this.frames = [];
    this.waiters = [];
  }
  async open() {
    if (url.startsWith('stdio:')) {
      this.socket = stdioSocket(this);
      return;
    }
    this.socket = new WebSocket(url);
    this.socket.on('message', (data) => this.push(data.toString()));
    await new Promise((resolve, reject) => {
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
    });
  }
  push(text) {
    this.frames.push(text);
    for (const waiter of this.waiters.splice(0)) waiter();
  }
  async next() {
    const deadline = Date.now() + FRAME_TIMEOUT_MS;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no frame within ${FRAME_TIMEOUT_MS} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.frames.shift();
  }
  // Sends `frame` and returns every frame up to and including the reply whose id matches.
  async call(frame) {
    const id = JSON.parse(frame).req[0];
    this.socket.send(frame);
    const received = [];
    for (;;) {
      const text = await this.next();
      received.push(text);
      const res = JSON.parse(text).res;
      if (res[0] === id && res[1] !== undefined && id !== 0) return { frames: received, reply: text, res };
    }
  }
  // Frames already queued for this socket (notifications caused by other sockets), after a short settle.
  async drain() {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return this.frames.splice(0);
  }
  close() { this.socket.close(); }
}

let brokerAddress;
async function checkBrokerSignature(frame, what) {
  const parsed = JSON.parse(frame);
  check(Array.isArray(parsed.sig) && parsed.sig.length === 1, `${what}: exactly one server signature`);
  const signer = await recoverAddress({ hash: keccak256(toHex(rawRes(frame))), signature: parsed.sig[0] });
  checkEqual(signer, brokerAddress, `${what}: signed by the broker over the raw res bytes`);
}
const methods = (frames) => frames.map((frame) => JSON.parse(frame).res[1]);
let nextId = 1000;
const id = () => nextId++;

// A devnode-only request: unsigned, any socket.
function devnodeFrame(method, params) {
  return JSON.stringify({ req: [id(), method, params, Date.now()], sig: [] });
}

async function authenticate(conn, walletKey, allowances, application = APP) {
  const wallet = privateKeyToAccount(walletKey);
  const sessionKey = generatePrivateKey();
  const session = privateKeyToAccount(sessionKey);
  const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const request = { address: wallet.address, session_key: session.address, application, allowances,
    expires_at: expiresAt, scope: 'umpire.test' };
  const challenge = await conn.call(await sdk.createAuthRequestMessage(request, id()));
  const parsedChallenge = sdk.parseAuthChallengeResponse(challenge.reply);
  check(/^[0-9a-f-]{36}$/.test(parsedChallenge.params.challengeMessage), 'auth_challenge carries a lowercase UUID');
  const walletClient = createWalletClient({ account: wallet, transport: custom({ request: async () => null }) });
  const eip712 = sdk.createEIP712AuthMessageSigner(walletClient,
    { scope: request.scope, session_key: session.address, expires_at: expiresAt, allowances }, { name: application });
  const verify = await conn.call(await sdk.createAuthVerifyMessage(eip712, parsedChallenge, id()));
  const parsed = sdk.parseAuthVerifyResponse(verify.reply);
  check(parsed.params.success === true, `${conn.name}: auth_verify success`);
  checkEqual(JSON.parse(verify.reply).res[2].address, wallet.address, `${conn.name}: auth_verify address`);
  // channels then bu follow the reply (notes §3.2, §7).
  const after = [await conn.next(), await conn.next()];
  checkEqual(methods(after), ['channels', 'bu'], `${conn.name}: pushes after auth_verify`);
  for (const frame of after) sdk.parseAnyRPCResponse(frame);
  return { wallet, sessionSigner: sdk.createECDSAMessageSigner(sessionKey), sessionAddress: session.address,
    jwt: parsed.params.jwtToken };
}

async function balances(conn, signer) {
  const { reply } = await conn.call(await sdk.createGetLedgerBalancesMessage(signer, undefined, id()));
  const parsed = sdk.parseGetLedgerBalancesResponse(reply);
  return Object.fromEntries(parsed.params.ledgerBalances.map((row) => [row.asset, row.amount]));
}

async function expectError(conn, frame, text, what) {
  const result = await conn.call(frame);
  const error = sdk.parseErrorResponse(result.reply);
  checkEqual(error.params.error, text, what);
  return result;
}

async function main() {
  const [p1Key, p2Key, refereeKey] = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
  const p1Conn = new Connection('p1');
  const p2Conn = new Connection('p2');
  const refConn = new Connection('referee');
  for (const conn of [p1Conn, p2Conn, refConn]) await conn.open();

  // Connect: `assets` first, id 0 (notes §7).
  const firstFrames = [await p1Conn.next(), await p2Conn.next(), await refConn.next()];
  for (const frame of firstFrames) {
    const parsed = sdk.parseAnyRPCResponse(frame);
    checkEqual(parsed.method, 'assets', 'first frame on a socket');
    checkEqual(JSON.parse(frame).res[0], 0, 'notification id');
  }

  const config = await p1Conn.call(await sdk.createGetConfigMessage(undefined, id()));
  brokerAddress = sdk.parseGetConfigResponse(config.reply).params.brokerAddress;
  await checkBrokerSignature(firstFrames[0], 'assets push');
  await checkBrokerSignature(config.reply, 'get_config');

  const pong = await p1Conn.call(await sdk.createPingMessage(undefined, id()));
  checkEqual(JSON.parse(pong.reply).res.slice(1, 3), ['pong', null], 'ping reply');
  const assets = await p1Conn.call(await sdk.createGetAssetsMessage(undefined, undefined, id()));
  check(sdk.parseAnyRPCResponse(assets.reply).params.assets.some((a) => a.symbol === ASSET), 'get_assets lists usdc');

  // Frame-level and gate errors on an unauthenticated socket.
  await expectError(p1Conn, await sdk.createGetLedgerBalancesMessage(sdk.createECDSAMessageSigner(p1Key), undefined, id()),
    'authentication required', 'private method before auth');
  p1Conn.socket.send('{"req":[1,"ping",{},');
  const badJson = await p1Conn.next();
  checkEqual(sdk.parseErrorResponse(badJson).params.error, 'invalid message format', 'bad JSON');
  await expectError(p1Conn, await sdk.createApplicationMessage(sdk.createECDSAMessageSigner(p1Key),
    '0x' + '00'.repeat(32), { hello: 1 }, id()), 'unknown method: message', 'message method is unrouted');

  // Fund and authenticate.
  const allowances = [{ asset: ASSET, amount: '10' }];
  const p1 = await authenticate(p1Conn, p1Key, allowances);
  const p2 = await authenticate(p2Conn, p2Key, allowances);
  const ref = await authenticate(refConn, refereeKey, allowances);
  for (const [conn, party] of [[p1Conn, p1], [p2Conn, p2]]) {
    const funded = await conn.call(devnodeFrame('devnode_fund', { wallet: party.wallet.address, asset: ASSET, amount: '10' }));
    check(funded.res[1] === 'devnode_fund', 'devnode_fund succeeds', funded.reply);
  }
  checkEqual(await balances(p1Conn, p1.sessionSigner), { [ASSET]: '10' }, 'p1 funded');

  // 3-party session: players fund it, the referee alone holds the quorum.
  const definition = { application: APP, protocol: sdk.RPCProtocolVersion.NitroRPC_0_4,
    participants: [p1.wallet.address, p2.wallet.address, ref.wallet.address], weights: [0, 0, 100], quorum: 100,
    challenge: 0, nonce: Date.now() };
  const createFrame = JSON.parse(await sdk.createAppSessionMessage(p1.sessionSigner, {
    definition,
    allocations: [
      { participant: p1.wallet.address, asset: ASSET, amount: '1.5' },
      { participant: p2.wallet.address, asset: ASSET, amount: '1.5' },
      { participant: ref.wallet.address, asset: ASSET, amount: '0' },
    ],
    session_data: '{"board":"---------"}',
  }, id()));
  createFrame.sig.push(await p2.sessionSigner(createFrame.req));
  const created = await refConn.call(JSON.stringify(createFrame));
  const createdParsed = sdk.parseCreateAppSessionResponse(created.reply);
  const appSessionId = createdParsed.params.appSessionId;
  const definitionJson = JSON.stringify({ application: APP, protocol: definition.protocol,
    participants: definition.participants, weights: definition.weights, quorum: 100, challenge: 0, nonce: definition.nonce });
  checkEqual(appSessionId, keccak256(toHex(definitionJson)), 'app_session_id is keccak of the definition');
  checkEqual(JSON.parse(created.reply).res[2].version, 1, 'create reply version is a number');
  checkEqual(methods(created.frames), ['bu', 'create_app_session'], 'referee sees its middleware bu then the reply');
  checkEqual(methods(await p1Conn.drain()), ['bu'], 'p1 gets bu after funding the session');
  checkEqual(methods(await p2Conn.drain()), ['bu'], 'p2 gets bu after funding the session');
  checkEqual(await balances(p1Conn, p1.sessionSigner), { [ASSET]: '8.5' }, 'p1 after create');

  // submit_app_state 0.4 operate v2, signed by the referee's session key.
  const operate = (version, signer) => sdk.createSubmitAppStateMessage(signer, {
    app_session_id: appSessionId, intent: sdk.RPCAppStateIntent.Operate, version,
    allocations: [
      { participant: p1.wallet.address, asset: ASSET, amount: '3' },
      { participant: p2.wallet.address, asset: ASSET, amount: '0' },
      { participant: ref.wallet.address, asset: ASSET, amount: '0' },
    ],
    session_data: '{"board":"xo-------"}',
  }, id());
  await expectError(refConn, await operate(3, ref.sessionSigner), 'incorrect app state: incorrect version: expected 2, got 3',
    'submit with a skipped version');
  await expectError(refConn, await operate(2, p1.sessionSigner), 'incorrect submit_state request: quorum not reached: 0 / 100',
    'submit without the referee');
  const submitted = await refConn.call(await operate(2, ref.sessionSigner));
  const submittedParsed = sdk.parseSubmitAppStateResponse(submitted.reply);
  checkEqual(submittedParsed.params.version, 2, 'submit reply version');
  checkEqual(methods(submitted.frames).filter((m) => m !== 'bu'), ['asu', 'submit_app_state'], 'referee: asu before the reply');
  for (const conn of [p1Conn, p2Conn]) {
    const pushed = await conn.drain();
    checkEqual(methods(pushed), ['asu'], `${conn.name} gets asu`);
    for (const frame of pushed) {
      const asu = sdk.parseAnyRPCResponse(frame);
      checkEqual(asu.params.version, 2, `${conn.name}: asu version`);
    }
  }

  // Close with a payout: 2.97 to p1, 0.03 to the referee.
  const closeFrame = await sdk.createCloseAppSessionMessage(ref.sessionSigner, {
    app_session_id: appSessionId,
    allocations: [
      { participant: p1.wallet.address, asset: ASSET, amount: '2.97' },
      { participant: p2.wallet.address, asset: ASSET, amount: '0' },
      { participant: ref.wallet.address, asset: ASSET, amount: '0.03' },
    ],
  }, id());
  const closed = await refConn.call(closeFrame);
  const closedParsed = sdk.parseCloseAppSessionResponse(closed.reply);
  checkEqual([closedParsed.params.status, closedParsed.params.version], ['closed', 3], 'close reply');
  checkEqual(methods(await p1Conn.drain()), ['bu'], 'p1 gets bu on close, no asu');
  checkEqual(methods(await p2Conn.drain()), [], 'p2 (paid nothing) gets nothing on close');
  await expectError(refConn, closeFrame, 'an open app session not found: record not found',
    'closing twice');
  checkEqual(await balances(p1Conn, p1.sessionSigner), { [ASSET]: '11.47' }, 'p1 after payout');
  checkEqual(await balances(p2Conn, p2.sessionSigner), { [ASSET]: '8.5' }, 'p2 after payout');
  checkEqual(await balances(refConn, ref.sessionSigner), { [ASSET]: '0.03' }, 'referee after payout');

  // Public reads.
  const listed = await p1Conn.call(await sdk.createGetAppSessionsMessage(undefined, p1.wallet.address, undefined, id()));
  const sessions = sdk.parseGetAppSessionsResponse(listed.reply).params.appSessions;
  checkEqual(sessions.map((s) => [s.appSessionId, s.status]), [[appSessionId, 'closed']], 'get_app_sessions');
  const defined = await p1Conn.call(await sdk.createGetAppDefinitionMessage(undefined, appSessionId, id()));
  sdk.parseGetAppDefinitionResponse(defined.reply);
  checkEqual(JSON.parse(defined.reply).res[2].application, '', 'get_app_definition leaves application empty');

  // Transfer: tr to both sides, and the replay cache.
  const transferFrame = await sdk.createTransferMessage(p1.sessionSigner,
    { destination: p2.wallet.address, allocations: [{ asset: ASSET, amount: '0.000001' }] }, id());
  const transferred = await p1Conn.call(transferFrame);
  sdk.parseAnyRPCResponse(transferred.reply);
  checkEqual(methods(transferred.frames), ['bu', 'tr', 'bu', 'transfer'], 'sender: bu, tr, middleware bu, reply');
  const recipient = await p2Conn.drain();
  check(methods(recipient).includes('tr'), 'recipient gets tr', JSON.stringify(methods(recipient)));
  for (const frame of recipient) sdk.parseAnyRPCResponse(frame);
  await expectError(p1Conn, transferFrame, 'operation denied: the request has already been processed', 'transfer replay');

  // JWT re-auth on a fresh socket.
  const again = new Connection('p1-jwt');
  await again.open();
  await again.next();  // assets
  const jwtVerify = await again.call(await sdk.createAuthVerifyMessageWithJWT(p1.jwt, id()));
  checkEqual(sdk.parseAuthVerifyResponse(jwtVerify.reply).params.success, true, 'JWT re-auth');
  await expectError(again, await sdk.createAuthVerifyMessageWithJWT(p1.jwt + 'x', id()), 'invalid JWT token', 'tampered JWT');

  await rulesAndTexts({ p1Conn, p2Conn, refConn, p1, p2, ref, p2Key });

  const audit = await p1Conn.call(devnodeFrame('devnode_audit', {}));
  checkEqual(audit.res[2].balanced, true, 'devnode_audit balanced');

  for (const conn of [p1Conn, p2Conn, refConn, again]) conn.close();
}

// Negative cases with the node's exact texts, and the deposit / withdraw intents, on a second session.
async function rulesAndTexts({ p1Conn, p2Conn, refConn, p1, p2, ref, p2Key }) {
  const [a1, a2, a3] = [p1.wallet.address, p2.wallet.address, ref.wallet.address];
  await expectError(p1Conn, await sdk.createGetLedgerBalancesMessage(p1.sessionSigner, undefined, id(), Date.now() - 61000),
    'invalid message timestamp', 'a request older than 60 s');

  const definition = { application: APP, protocol: sdk.RPCProtocolVersion.NitroRPC_0_4, participants: [a1, a2, a3],
    weights: [0, 0, 100], quorum: 100, challenge: 0, nonce: Date.now() + 1 };
  const create = async (allocations, signers) => {
    const frame = JSON.parse(await sdk.createAppSessionMessage(signers[0], { definition, allocations }, id()));
    for (const signer of signers.slice(1)) frame.sig.push(await signer(frame.req));
    return JSON.stringify(frame);
  };
  const alloc = (amounts, asset = ASSET) => amounts.map((amount, i) => ({ participant: [a1, a2, a3][i], asset, amount }));
  await expectError(refConn, await create(alloc(['1', '1', '0']), [p1.sessionSigner]),
    `missing signature for participant ${a2}`, 'create without a funder\'s signature');
  await expectError(refConn, await create(alloc(['9', '0', '0']), [p1.sessionSigner]),
    'session key spending validation failed: operation denied: insufficient session key allowance: 9 required, 8.499999 available',
    'create beyond the session key allowance');
  await expectError(refConn, await create(alloc(['1', '0', '0'], 'eth'), [p1.sessionSigner]),
    'session key spending validation failed: operation denied: asset eth not allowed in session key spending cap',
    'create in an asset outside the allowance');
  await expectError(refConn, await create(alloc(['-5', '0', '0']), [p1.sessionSigner]),
    'negative allocation: -5 for asset usdc', 'create with a negative amount');
  await expectError(refConn, await create(alloc(['0', '0', '1']), [ref.sessionSigner]),
    `insufficient funds: ${a3} for asset usdc`, 'create beyond the unified balance');

  // A session key bound to another application cannot fund this one.
  const otherConn = new Connection('p2-other-app');
  await otherConn.open();
  await otherConn.next();
  const p2Other = await authenticate(otherConn, p2Key, [{ asset: ASSET, amount: '5' }], 'other-app');
  await expectError(refConn, await create(alloc(['0', '1', '0']), [p2Other.sessionSigner]),
    `session key application validation failed: session key application mismatch: session key is for 'other-app', but app session is for '${APP}'`,
    'create funded by a key of another application');
  otherConn.close();
  // Only a "clearnode" key may revoke another key; the wallet itself may revoke any.
  await expectError(p2Conn, await sdk.createRevokeSessionKeyMessage(p2.sessionSigner, p2Other.sessionAddress, id()),
    'operation denied: insufficient permissions for the active session key', 'a key revoking a sibling key');
  const byWallet = await p2Conn.call(await sdk.createRevokeSessionKeyMessage(sdk.createECDSAMessageSigner(p2Key),
    p2Other.sessionAddress, id()));
  checkEqual(byWallet.res[1], 'revoke_session_key', 'the wallet revokes its key');
  await expectError(p2Conn, await sdk.createRevokeSessionKeyMessage(sdk.createECDSAMessageSigner(p2Key),
    p2Other.sessionAddress, id()), 'operation denied: provided address is not an active session key of this user',
  'revoking a revoked key');

  const created = await refConn.call(await create(alloc(['1', '1', '0']), [p1.sessionSigner, p2.sessionSigner]));
  const sessionId = sdk.parseCreateAppSessionResponse(created.reply).params.appSessionId;
  await p1Conn.drain();
  await p2Conn.drain();

  const submit = async (intent, version, amounts, signers) => {
    const frame = JSON.parse(await sdk.createSubmitAppStateMessage(signers[0],
      { app_session_id: sessionId, intent, version, allocations: alloc(amounts) }, id()));
    for (const signer of signers.slice(1)) frame.sig.push(await signer(frame.req));
    return JSON.stringify(frame);
  };
  const { Deposit, Withdraw, Operate } = sdk.RPCAppStateIntent;
  await expectError(refConn, await submit(Deposit, 2, ['1', '2', '0'], [ref.sessionSigner]),
    'incorrect deposit request: depositor signature is required', 'deposit without the depositor');
  await expectError(refConn, await submit(Deposit, 2, ['1', '2', '0'], [p2.sessionSigner]),
    'incorrect deposit request: quorum not reached: 0 / 100', 'deposit without quorum');
  await expectError(refConn, await submit(Deposit, 2, ['0.5', '1', '0'], [ref.sessionSigner, p1.sessionSigner]),
    `incorrect deposit request: decreased allocation for participant ${a1}`, 'deposit that decreases');
  const deposited = await refConn.call(await submit(Deposit, 2, ['2', '1', '0'], [ref.sessionSigner, p1.sessionSigner]));
  checkEqual(sdk.parseSubmitAppStateResponse(deposited.reply).params.version, 2, 'deposit accepted');
  checkEqual(methods(await p1Conn.drain()), ['bu', 'asu'], 'depositor gets bu then asu');
  checkEqual(methods(await p2Conn.drain()), ['asu'], 'other player gets asu only');

  await expectError(refConn, await submit(Withdraw, 3, ['3', '1', '0'], [ref.sessionSigner]),
    `incorrect withdrawal request: increased allocation for participant ${a1}`, 'withdraw that increases');
  const withdrawn = await refConn.call(await submit(Withdraw, 3, ['0.5', '1', '0'], [ref.sessionSigner]));
  checkEqual(sdk.parseSubmitAppStateResponse(withdrawn.reply).params.version, 3, 'withdraw accepted');
  checkEqual(methods(await p1Conn.drain()), ['bu', 'asu'], 'withdrawer gets bu then asu');
  await p2Conn.drain();
  checkEqual(await balances(p1Conn, p1.sessionSigner), { [ASSET]: '10.969999' }, 'p1 after deposit and withdraw');

  await expectError(refConn, await submit(Operate, 4, ['1', '0', '0'], [ref.sessionSigner]),
    'incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed', 'operate that loses funds');
  const extraAsset = JSON.parse(await sdk.createSubmitAppStateMessage(ref.sessionSigner, {
    app_session_id: sessionId, intent: Operate, version: 4,
    allocations: [...alloc(['0.5', '1', '0']), { participant: a1, asset: 'eth', amount: '1' }] }, id()));
  await expectError(refConn, JSON.stringify(extraAsset),
    'incorrect operate request: non-zero allocations sum delta: allocation references unknown asset eth',
    'operate that invents an asset');
  await expectError(refConn, await submit('settle', 4, ['0.5', '1', '0'], [ref.sessionSigner]),
    'incorrect app state: unsupported intent: settle', 'unknown intent');

  const keys = await p1Conn.call(await sdk.createGetSessionKeysMessage(p1.sessionSigner, id()));
  const listed = sdk.parseGetSessionKeysResponse(keys.reply).params.sessionKeys;
  const mine = listed.find((key) => key.sessionKey === p1.sessionAddress);
  check(mine !== undefined, 'get_session_keys lists the key', keys.reply);
  checkEqual(mine?.allowances, [{ asset: ASSET, allowance: '10', used: '3.500001' }], 'session key allowance and use');

  const closeFrame = (signer) => sdk.createCloseAppSessionMessage(signer,
    { app_session_id: sessionId, allocations: alloc(['0.5', '1', '0']) }, id());
  await expectError(refConn, await closeFrame(p1.sessionSigner), 'incorrect submit_state request: quorum not reached: 0 / 100',
    'close without quorum');
  const closed = await refConn.call(await closeFrame(ref.sessionSigner));
  checkEqual(sdk.parseCloseAppSessionResponse(closed.reply).params.status, 'closed', 'second session closed');
  await p1Conn.drain();
  await p2Conn.drain();

  // Revocation: a key may revoke itself; afterwards it signs as a stranger.
  const revoked = await p1Conn.call(await sdk.createRevokeSessionKeyMessage(p1.sessionSigner, p1.sessionAddress, id()));
  checkEqual(JSON.parse(revoked.reply).res.slice(1, 3), ['revoke_session_key', { session_key: p1.sessionAddress }], 'revoke reply');
  await expectError(p1Conn, await sdk.createTransferMessage(p1.sessionSigner,
    { destination: a2, allocations: [{ asset: ASSET, amount: '1' }] }, id()), 'invalid signature', 'transfer by a revoked key');
}

main().then(
  () => {
    console.log(`${checks - failures}/${checks} checks passed`);
    process.exit(failures === 0 ? 0 : 1);
  },
  (error) => {
    console.error(`ERROR ${error.stack ?? error}`);
    process.exit(2);
  });
