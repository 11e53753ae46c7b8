// Produces tests/vectors/sdk_vectors.json with the official Nitrolite SDK (@erc7824/nitrolite 0.5.3) and viem:
// addresses, RPC request signatures (the SDK's own message builders), personal_sign signatures and EIP-712 auth
// Policy digests and signatures. The C++ crypto tests check the crypto core against this file.
//   node make-vectors.mjs          rewrite the vectors file
//   node make-vectors.mjs --check  exit 1 if the SDK now computes anything different from the committed file
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sdk from '@erc7824/nitrolite';
import { createWalletClient, custom, hashDomain, hashStruct, hashTypedData, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const here = dirname(fileURLToPath(import.meta.url));
const vectorsPath = join(here, '..', 'vectors', 'sdk_vectors.json');

// Hardhat's well-known development keys, then keys derived deterministically from labels.
const keys = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  ...Array.from({ length: 7 }, (_, i) => keccak256(toHex(`umpire test key ${i}`))),
];
const accounts = keys.map((key) => privateKeyToAccount(key));
const wallet = (account) => createWalletClient({ account, transport: custom({ request: async () => null }) });

const ts = 1733412346000;
const addressVectors = keys.map((key, i) => ({ private_key: key, address: accounts[i].address }));

// Each RPC vector is the exact frame the SDK sends; raw_req is the substring that was hashed and signed.
async function rpcVector(keyIndex, build) {
  const signer = sdk.createECDSAMessageSigner(keys[keyIndex]);
  const frame = await build(signer);
  const parsed = JSON.parse(frame);
  return {
    private_key: keys[keyIndex],
    address: accounts[keyIndex].address,
    frame,
    raw_req: JSON.stringify(parsed.req),
    keccak: keccak256(toHex(JSON.stringify(parsed.req))),
    signature: parsed.sig[0],
  };
}

const [p1, p2, referee] = accounts.map((a) => a.address);
const definition = {
  application: 'umpire/tictactoe',
  protocol: 'NitroRPC/0.4',
  participants: [p1, p2, referee],
  weights: [0, 0, 100],
  quorum: 100,
  challenge: 0,
  nonce: 1733412345678,
};
const rpcVectors = [
  await rpcVector(1, (s) => sdk.createGetLedgerBalancesMessage(s, undefined, 3, ts)),
  await rpcVector(0, (s) => sdk.createAppSessionMessage(s, {
    definition,
    allocations: [
      { participant: p1, asset: 'usdc', amount: '1.5' },
      { participant: p2, asset: 'usdc', amount: '1.5' },
      { participant: referee, asset: 'usdc', amount: '0' },
    ],
    session_data: '{"board":"---------","turn":0}',
  }, 42, ts)),
  await rpcVector(2, (s) => sdk.createSubmitAppStateMessage(s, {
    app_session_id: '0x53492aa1afa0483a2fe2a56efaa650d94c527e7476e24f462f93122ef59e6fb9',
    intent: 'operate', version: 2,
    allocations: [
      { participant: p1, asset: 'usdc', amount: '3' },
      { participant: p2, asset: 'usdc', amount: '0' },
      { participant: referee, asset: 'usdc', amount: '0' },
    ],
    session_data: 'x<>&"\u00e9',
  }, 43, ts)),
  await rpcVector(3, (s) => sdk.createCloseAppSessionMessage(s, {
    app_session_id: '0x53492aa1afa0483a2fe2a56efaa650d94c527e7476e24f462f93122ef59e6fb9',
    allocations: [{ participant: p1, asset: 'usdc', amount: '2.97' }, { participant: referee, asset: 'usdc', amount: '0.03' }],
  }, 44, ts)),
  await rpcVector(4, (s) => sdk.createTransferMessage(s, {
    destination: p2, allocations: [{ asset: 'usdc', amount: '0.000001' }],
  }, 45, ts)),
];

const personalMessages = [
  '',
  'hello',
  'Umpire login\nServer: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\nNonce: 4f3c2a',
  'unicode: \u00e9\u4e2d\ud83c\udfb2',
];
const personalVectors = [];
for (const [i, message] of personalMessages.entries()) {
  const account = accounts[i % accounts.length];
  personalVectors.push({
    private_key: keys[i % keys.length], address: account.address, message,
    signature: await account.signMessage({ message }),
  });
}

const policies = [
  { application: 'Example App', challenge: '550e8400-e29b-41d4-a716-446655440000', scope: 'app.create',
    wallet_index: 0, session_key_index: 1, expires_at: 1767225600n, allowances: [{ asset: 'usdc', amount: '100' }] },
  { application: 'umpire', challenge: '0b6f0d46-4e2f-4a4c-9d2b-2a6c5d6e7f80', scope: '',
    wallet_index: 3, session_key_index: 4, expires_at: 1893456000n, allowances: [] },
  { application: 'clearnode', challenge: 'c0ffee00-0000-4000-8000-000000000001', scope: 'all',
    wallet_index: 5, session_key_index: 5, expires_at: 4102444800n,
    allowances: [{ asset: 'usdc', amount: '100.0' }, { asset: 'eth', amount: '0.5' }] },
];
const eip712Vectors = [];
for (const p of policies) {
  const walletAccount = accounts[p.wallet_index];
  const partial = { scope: p.scope, session_key: accounts[p.session_key_index].address, expires_at: p.expires_at,
    allowances: p.allowances };
  const signer = sdk.createEIP712AuthMessageSigner(wallet(walletAccount), partial, { name: p.application });
  const frame = await sdk.createAuthVerifyMessageFromChallenge(signer, p.challenge, 7, ts);
  const message = { challenge: p.challenge, ...partial, wallet: walletAccount.address };
  const types = { ...sdk.EIP712AuthTypes };
  eip712Vectors.push({
    application: p.application, challenge: p.challenge, scope: p.scope,
    wallet_private_key: keys[p.wallet_index], wallet: walletAccount.address,
    session_key: partial.session_key, expires_at: Number(p.expires_at), allowances: p.allowances,
    domain_separator: hashDomain({ domain: { name: p.application }, types: { EIP712Domain: [{ name: 'name', type: 'string' }], ...types } }),
    struct_hash: hashStruct({ data: message, primaryType: 'Policy', types }),
    digest: hashTypedData({ domain: { name: p.application }, types, primaryType: 'Policy', message }),
    signature: JSON.parse(frame).sig[0],
  });
}

const vectors = {
  generator: 'tests/sdk/make-vectors.mjs with @erc7824/nitrolite 0.5.3 and viem',
  addresses: addressVectors,
  rpc: rpcVectors,
  personal_sign: personalVectors,
  eip712_auth: eip712Vectors,
};
const text = JSON.stringify(vectors, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const committed = readFileSync(vectorsPath, 'utf8');
  if (committed !== text) {
    console.error('sdk_vectors.json differs from what the SDK computes now; rerun: node tests/sdk/make-vectors.mjs');
    process.exit(1);
  }
  console.log(`sdk vectors: ${rpcVectors.length + personalVectors.length + eip712Vectors.length + addressVectors.length} vectors match the SDK`);
} else {
  writeFileSync(vectorsPath, text);
  console.log(`wrote ${vectorsPath}`);
}
