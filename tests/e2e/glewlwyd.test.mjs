// Interop with an OpenID provider nobody here wrote: Glewlwyd 2.7.5 (Debian's package, C),
// started on 127.0.0.1 with its own SQLite database, behind latchkey behind nginx. A full
// sign-in with the identity headers, Glewlwyd's off-standard "403 invalid_code" for a used code
// (the 400 "already used" page, and accepted by --check), refresh, sign-out with revocation,
// secrets Glewlwyd cannot take in form-encoded Basic credentials, and a user for whom it sends
// no email_verified claim.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startLatchkey, newCookieSecret, runCheck } from './lib/latchkey.mjs';
import { startNginx } from './lib/nginx.mjs';
import { Client, visibleText } from './lib/client.mjs';
import { assertHtmlPage, sessionSetCookie, localTarget } from './lib/assertions.mjs';
import { beginSignIn } from './lib/signin.mjs';
import { sleep } from './lib/process.mjs';
import {
  startGlewlwyd, glewlwydAvailable, glewlwydUserSession, authorizeAtGlewlwyd, glewlwydRefreshTokens,
  GLEWLWYD_USER, GLEWLWYD_UNVERIFIED_USER,
} from './lib/glewlwyd.mjs';

const ACCESS_TOKEN_SECONDS = 3;
const PLAIN = { id: 'latchkey-plain', secret: 'plainSecret0123456789' };
// RFC 6749 §2.3.1 form-encodes these in Basic credentials; Glewlwyd does not decode them.
const SYMBOLS = { id: 'latchkey-symbols', secret: 'gl+w/y=d:s3cret' };

const skip = glewlwydAvailable() ? false : 'glewlwyd is not installed (tools/deps.sh installs it)';
let dir;
let gl;
let lk;
let nginx;
let url;
let config;

before(async () => {
  if (skip) return;
  dir = workDir('glewlwyd');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const redirectUri = `${url}/login/authorized`;
  gl = await startGlewlwyd({ redirectUris: [redirectUri], clients: [PLAIN, SYMBOLS], accessTokenSeconds: ACCESS_TOKEN_SECONDS });
  config = {
    issuer: gl.issuer,
    client_id: PLAIN.id,
    client_secret: PLAIN.secret,
    redirect_uri: redirectUri,
    cookie_secret: newCookieSecret(),
    allowed_domains: 'example.com',
    log_level: 'debug',
  };
  lk = await startLatchkey({ dir, config });
  nginx = await startNginx({ dir, latchkeySocket: lk.socket, port });
});

after(async () => {
  const errors = [];
  for (const part of [nginx, lk, gl]) {
    try { await part?.stop(); } catch (err) { errors.push(err); }
  }
  if (errors.length) throw errors[0];
});

const t = (name, fn) => test(name, { skip }, async () => {
  try {
    await fn();
  } catch (err) {
    err.message = `${err.message}\n${lk?.tail(30) ?? ''}\n${gl?.proc.tail(15) ?? ''}`;
    throw err;
  }
});

// A sign-in at Glewlwyd as account, up to latchkey's answer to the callback.
async function signInAt(client, account = GLEWLWYD_USER) {
  await glewlwydUserSession(gl, client, PLAIN.id, account);
  const authorizeUrl = await beginSignIn(client);
  const callbackUrl = await authorizeAtGlewlwyd(gl, client, authorizeUrl);
  return { callbackUrl, response: await client.get(callbackUrl) };
}

async function signedIn() {
  const client = new Client(url);
  const { response } = await signInAt(client);
  assert.equal(response.status, 302, `the callback signs in (${response.status}: ${visibleText(response.body).slice(0, 400)})`);
  assert.ok(sessionSetCookie(response), 'session cookie set');
  return client;
}

// --check proves the credentials although Glewlwyd answers the impossible code with
// 403 invalid_code instead of 400 invalid_grant, and says so.
t('--check accepts the client at Glewlwyd and notes its off-standard answer', async () => {
  const r = await runCheck({ dir, config });
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /using client_secret_basic, accepted the client credentials/);
  assert.match(r.stdout, /answered 403 error=invalid_code/);
  assert.match(r.stdout, /off-standard/);
});

// A secret with + / = : is refused in form-encoded Basic credentials (Glewlwyd does not
// decode them) and accepted with token_endpoint_auth_method = client_secret_post.
t('--check: a secret with + / = : needs client_secret_post at Glewlwyd', async () => {
  const symbols = { ...config, client_id: SYMBOLS.id, client_secret: SYMBOLS.secret };
  const basic = await runCheck({ dir, config: symbols });
  assert.equal(basic.code, 1, basic.output);
  assert.match(basic.output, /refused the client: wrong client_id or client_secret: .*using client_secret_basic/);
  const post = await runCheck({ dir, config: { ...symbols, token_endpoint_auth_method: 'client_secret_post' } });
  assert.equal(post.code, 0, post.output);
  assert.match(post.stdout, /using client_secret_post, accepted the client credentials/);
});

// The whole sign-in through nginx: the session works and /auth sends Glewlwyd's identity.
t('sign-in at Glewlwyd: session and identity headers', async () => {
  const client = await signedIn();
  const auth = await client.get('/_latchkey/auth');
  assert.equal(auth.status, 200);
  assert.equal(auth.header('x-auth-request-email'), GLEWLWYD_USER.email, 'the verified address');
  assert.equal(auth.header('x-auth-request-name'), GLEWLWYD_USER.name);
  assert.match(auth.header('x-auth-request-user') ?? '', /^[A-Za-z0-9]{8,}$/, 'Glewlwyd\'s pairwise subject');
  assert.match(visibleText((await client.get('/')).body), new RegExp(`Logged in as ${GLEWLWYD_USER.email}`));
});

// A code Glewlwyd already redeemed, brought back with a fresh sign-in's state: Glewlwyd says
// 403 invalid_code, the visitor gets the 400 "already used or has expired" page, not a 502.
t('a used code at Glewlwyd gives the 400 "already used" page', async () => {
  const client = new Client(url);
  const first = await signInAt(client);
  assert.equal(first.response.status, 302, 'the first sign-in succeeds');
  const used = new URL(first.callbackUrl).searchParams.get('code');
  const authorizeUrl = await beginSignIn(client);
  const state = new URL(authorizeUrl).searchParams.get('state');
  const mark = lk.logs().length;
  const r = await client.get(`/login/authorized?code=${encodeURIComponent(used)}&state=${encodeURIComponent(state)}`);
  assert.equal(r.status, 400, visibleText(r.body).slice(0, 400));
  assertHtmlPage(r);
  assert.match(visibleText(r.body), /already used or has expired/);
  const line = lk.logs().slice(mark).find((o) => o.event === 'sign_in_failed');
  assert.match(JSON.stringify(line), /invalid_code/, 'the log line names Glewlwyd\'s error');
});

// After the access token expires, /auth refreshes it at Glewlwyd and renews the cookie.
t('refresh at Glewlwyd renews the session', async () => {
  const client = await signedIn();
  await sleep((ACCESS_TOKEN_SECONDS + 1) * 1000);
  const mark = lk.logs().length;
  const r = await client.get('/_latchkey/auth');
  assert.equal(r.status, 200);
  assert.ok(sessionSetCookie(r), `a renewed session cookie (Set-Cookie: ${JSON.stringify(r.setCookies)})`);
  assert.ok(lk.logs().slice(mark).some((o) => o.event === 'session_refreshed'), 'latchkey refreshed');
  assert.equal((await client.get('/_latchkey/auth')).header('x-auth-request-email'), GLEWLWYD_USER.email);
});

// Sign-out revokes the refresh token at Glewlwyd (RFC 7009): its token list shows it disabled.
t('logout revokes the refresh token at Glewlwyd', async () => {
  const client = await signedIn();
  const enabled = async () => (await glewlwydRefreshTokens(gl, client)).filter((tk) => tk.enabled).length;
  const before_ = await enabled();
  assert.ok(before_ >= 1, 'the sign-in holds an enabled refresh token');
  const r = await client.post('/logout');
  assert.equal(r.status, 302);
  assert.equal(localTarget(r.location, url), '/');
  const deadline = Date.now() + 5000;
  while ((await enabled()) >= before_ && Date.now() < deadline) await sleep(100);
  assert.equal(await enabled(), before_ - 1, 'one refresh token fewer is enabled');
  assert.equal((await client.get('/_latchkey/auth')).status, 401);
});

// Glewlwyd sends no email_verified for a user without the property: the refusal names the
// missing claim and how to make the provider send it.
t('no email_verified claim: the refusal names the claim and the fix', async () => {
  const client = new Client(url);
  const { response } = await signInAt(client, GLEWLWYD_UNVERIFIED_USER);
  assert.equal(response.status, 403, visibleText(response.body).slice(0, 400));
  const text = visibleText(response.body);
  assert.match(text, /the ID token has no email_verified claim/);
  assert.match(text, /Glewlwyd: an email_verified claim/);
  assert.equal((await client.get('/_latchkey/auth')).status, 401);
});
