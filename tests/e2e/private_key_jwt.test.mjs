// private_key_jwt (RFC 7523 client assertions, OIDC Core §9) against the npm oidc-provider,
// whose client has no secret at all, only public keys: sign-in, refresh, revocation at
// sign-out and --check with an EC P-256 and an RSA key; a key the provider does not know is
// refused by --check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { startStack } from './lib/stack.mjs';
import { runCheck } from './lib/latchkey.mjs';
import { signIn } from './lib/signin.mjs';
import { sessionSetCookie } from './lib/assertions.mjs';
import { DEMO_ACCOUNT } from './lib/provider.mjs';
import { sleep } from './lib/process.mjs';

const ACCESS_TOKEN_TTL = 2;

// A key pair: the private key as a PEM file for latchkey, the public one as a JWK.
function clientKey(dir, name, type, kid) {
  const { privateKey, publicKey } = type === 'ec'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(dir, `${name}.pem`);
  fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { file, kid, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

let stack;
let ec;
let rsa;
before(async () => {
  const keyDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'latchkey-pkjwt-'));
  ec = clientKey(keyDir, 'client-ec', 'ec', 'client-ec-1');
  rsa = clientKey(keyDir, 'client-rsa', 'rsa', 'client-rsa-1');
  stack = await startStack('private-key-jwt', {
    provider: { clientJwks: { keys: [ec.jwk, rsa.jwk] }, accessTokenTTL: ACCESS_TOKEN_TTL },
    config: {
      client_secret: undefined,
      token_endpoint_auth_method: 'private_key_jwt',
      client_private_key_file: ec.file,
      client_key_id: ec.kid,
    },
  });
});
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, async () => {
  try {
    await fn();
  } catch (err) {
    err.message = `${err.message}\n${stack.diagnostics()}`;
    throw err;
  }
});

// The code is redeemed with an ES256 assertion; refresh and revocation use one too.
t('sign-in, refresh and revocation with an EC client key and no secret', async () => {
  const client = stack.client();
  await signIn(client);
  const grants = (await stack.provider.grants()).refresh_token ?? 0;
  await sleep((ACCESS_TOKEN_TTL + 1) * 1000);
  const refreshed = await client.get('/_latchkey/auth');
  assert.equal(refreshed.status, 200);
  assert.ok(sessionSetCookie(refreshed), 'a renewed session cookie');
  assert.ok(((await stack.provider.grants()).refresh_token ?? 0) > grants, 'the provider accepted a refresh_token grant');
  assert.equal((await client.get('/_latchkey/auth')).header('x-auth-request-email'), DEMO_ACCOUNT.login);
  const revoked = (await stack.provider.revocations()).count;
  assert.equal((await client.post('/logout')).status, 302);
  const deadline = Date.now() + 5000;
  while ((await stack.provider.revocations()).count <= revoked && Date.now() < deadline) await sleep(100);
  assert.ok((await stack.provider.revocations()).count > revoked, 'the provider accepted the revocation');
});

// --check proves the key: accepted with either registered key (RS256 without a kid too),
// refused with a key the provider has never seen.
t('--check proves private_key_jwt', async () => {
  for (const config of [stack.config, { ...stack.config, client_private_key_file: rsa.file, client_key_id: undefined }]) {
    const r = await runCheck({ dir: stack.dir, config });
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /using private_key_jwt, accepted the client credentials/);
  }
  const stranger = clientKey(stack.dir, 'stranger', 'ec', 'stranger-1');
  const r = await runCheck({ dir: stack.dir, config: { ...stack.config, client_private_key_file: stranger.file, client_key_id: stranger.kid } });
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /refused the client: wrong client_id, or the provider does not know the public key of client_private_key_file .*using private_key_jwt/);
});

// A key file that is not a usable key stops start-up with a line naming the key.
t('a bad client_private_key_file is a configuration error', async () => {
  const bad = path.join(stack.dir, 'not-a-key.pem');
  fs.writeFileSync(bad, 'hello\n');
  const r = await runCheck({ dir: stack.dir, config: { ...stack.config, client_private_key_file: bad } });
  assert.equal(r.code, 1, r.output);
  assert.match(r.stderr, /client_private_key_file: .*not-a-key\.pem is not an unencrypted PEM private key/);
});
