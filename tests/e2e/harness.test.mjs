// The test tools on their own, without latchkey: the dev provider is a working OpenID provider
// for a hand-made relying party (PKCE, code, tokens, refresh, revocation), and the shipped
// nginx/latchkey.conf loads in nginx. When a latchkey test fails, these tell whether the
// harness or latchkey is to blame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startNginx } from './lib/nginx.mjs';
import { Client } from './lib/client.mjs';
import { authorizeAtProvider } from './lib/signin.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
let dir, provider, redirectUri;

before(async () => {
  dir = workDir('harness');
  redirectUri = `http://127.0.0.1:${await freePort()}/login/authorized`;
  provider = await startProvider({ dir, redirectUris: [redirectUri], accessTokenTTL: 2 });
});
after(async () => { await provider?.stop(); });

async function token(params) {
  const res = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, json: await res.json() };
}

function authorizeUrl(meta, { verifier, state, nonce }) {
  const u = new URL(meta.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri, scope: 'openid email profile',
    state, nonce, code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
  }).toString();
  return u.toString();
}

// A relying party written by hand can sign alice in, refresh, and revoke at the dev provider.
test('dev provider: code flow with PKCE, ID token claims, refresh, revocation', async () => {
  const meta = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(meta.issuer, provider.issuer);
  assert.ok(meta.revocation_endpoint, 'discovery advertises revocation');
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);

  const client = new Client(provider.issuer);
  const verifier = b64url(crypto.randomBytes(32)), state = b64url(crypto.randomBytes(16)), nonce = b64url(crypto.randomBytes(16));
  const callback = new URL(await authorizeAtProvider(client, authorizeUrl(meta, { verifier, state, nonce }), DEMO_ACCOUNT));
  assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
  assert.equal(callback.searchParams.get('state'), state);
  const code = callback.searchParams.get('code');
  assert.ok(code);

  const wrongVerifier = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: b64url(crypto.randomBytes(32)) });
  assert.equal(wrongVerifier.status, 400, 'PKCE is enforced');

  // The failed attempt consumed nothing only if PKCE is checked first; sign in again for a clean code.
  const verifier2 = b64url(crypto.randomBytes(32));
  const callback2 = new URL(await authorizeAtProvider(client, authorizeUrl(meta, { verifier: verifier2, state, nonce }), DEMO_ACCOUNT));
  const t = await token({ grant_type: 'authorization_code', code: callback2.searchParams.get('code'), redirect_uri: redirectUri, code_verifier: verifier2 });
  assert.equal(t.status, 200, JSON.stringify(t.json));
  assert.ok(t.json.access_token && t.json.refresh_token && t.json.id_token);
  assert.equal(t.json.expires_in, 2);
  const [header, payload] = t.json.id_token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url')));
  assert.equal(header.alg, 'RS256');
  assert.equal(payload.sub, DEMO_ACCOUNT.sub);
  assert.equal(payload.email, DEMO_ACCOUNT.login);
  assert.equal(payload.email_verified, true);
  assert.equal(payload.name, DEMO_ACCOUNT.name);
  assert.equal(payload.nonce, nonce);
  assert.equal(payload.aud, CLIENT_ID);

  const r = await token({ grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok((await provider.grants()).refresh_token >= 1);

  const before_ = (await provider.revocations()).count;
  const rev = await fetch(`${provider.issuer}/token/revocation`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: r.json.refresh_token ?? t.json.refresh_token, token_type_hint: 'refresh_token' }),
  });
  assert.equal(rev.status, 200);
  assert.equal((await provider.revocations()).count, before_ + 1);
});

// A wrong password gets the login form again, not a code.
test('dev provider: wrong password is refused', async () => {
  const meta = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
  const client = new Client(provider.issuer);
  const verifier = b64url(crypto.randomBytes(32));
  await assert.rejects(
    authorizeAtProvider(client, authorizeUrl(meta, { verifier, state: 'abcdefgh', nonce: 'ijklmnop' }), { login: DEMO_ACCOUNT.login, password: 'nope' }),
    /did not redirect back \(last answer 401/,
  );
});

// The shipped server block loads in nginx; with latchkey absent its routes answer 502, and
// /auth is internal (404 from outside).
test('shipped nginx/latchkey.conf starts and routes to the socket', async () => {
  const nginxDir = path.join(dir, 'nginx-only');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(nginxDir, { recursive: true });
  const nginx = await startNginx({ dir: nginxDir, latchkeySocket: path.join(nginxDir, 'absent.sock'), port: await freePort() });
  try {
    const client = new Client(nginx.url);
    assert.equal((await client.get('/healthz')).status, 502);
    assert.equal((await client.get('/login/authorized?code=x')).status, 502);
    assert.equal((await client.get('/auth')).status, 404, '/auth is internal');
    assert.equal((await client.get('/app/')).status, 500, 'auth_request with no latchkey is a 500, never a pass');
    assert.equal((await client.get('/_latchkey/auth')).status, 502);
  } finally {
    await nginx.stop();
  }
});
