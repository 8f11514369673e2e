// Sessions the provider ends, through the npm oidc-provider, nginx and latchkey with its SQLite
// store: Back-Channel Logout 1.0 (signing out at the provider POSTs a logout token to
// /backchannel-logout and the old cookie is refused), the endpoint's refusals (a forged or
// replayed token), and re-validation (revalidate_seconds: an account removed at the provider
// loses its session within the interval).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from './lib/stack.mjs';
import { signIn, logoutForm } from './lib/signin.mjs';
import { withLogs } from './lib/assertions.mjs';
import { CLIENT_ID, DEMO_ACCOUNT } from './lib/provider.mjs';
import { workDir } from './lib/paths.mjs';
import { sleep } from './lib/process.mjs';

const REVALIDATE = 2;  // seconds: short, so the test is quick
let stack, plain;

before(async () => {
  stack = await startStack('session-end', {
    provider: { backchannelLogout: true },
    config: { session_store: `sqlite:${path.join(workDir('session-end-state'), 'state.db')}` },
  });
  plain = await startStack('session-end-revalidate', {
    provider: { refreshTokens: false },
    config: { revalidate_seconds: REVALIDATE },
  });
});
after(async () => { await stack?.stop(); await plain?.stop(); });

const t = (name, fn) => test(name, (ctx) => withLogs(stack, fn)(ctx));


// /auth straight from latchkey with this cookie value.
async function authStatus(on, cookie) {
  const r = await on.client().get('/_latchkey/auth', { headers: { cookie: `latchkey=${cookie}` } });
  return r.status;
}

// The provider's own signing key makes the token (POST /test/sign), so only the claim under
// test is wrong.
async function signedByProvider(payload) {
  const res = await fetch(`${stack.provider.issuer}/test/sign`, { method: 'POST', body: JSON.stringify({ header: { typ: 'logout+jwt' }, payload }) });
  return res.text();
}

function logoutClaims(extra) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: stack.provider.issuer, aud: CLIENT_ID, iat: now, exp: now + 120, jti: `jti-${Math.random()}`,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, ...extra,
  };
}

const postToken = (token) => stack.client().post('/backchannel-logout', { form: { logout_token: token } });

t('signing out at the provider ends the session here: its logout token reaches /backchannel-logout', async () => {
  const client = stack.client();
  await signIn(client, DEMO_ACCOUNT);
  const cookie = client.jar.get('latchkey').value;
  const other = stack.client();
  await signIn(other, DEMO_ACCOUNT);  // another browser: another provider session
  assert.equal(await authStatus(stack, cookie), 200);

  const meta = await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json();
  const end = `${meta.end_session_endpoint}?client_id=${CLIENT_ID}`;
  const confirm = await client.get(end);
  assert.equal(confirm.status, 200, confirm.body.slice(0, 400));
  const form = logoutForm(confirm.body, end);
  const done = await client.post(form.url, { form: { ...form.fields, logout: 'yes' } });
  assert.ok(done.status >= 200 && done.status < 400, `confirmation answered ${done.status}`);

  const line = await stack.latchkey.waitForLog((o) => o.event === 'backchannel_logout');
  assert.equal(line.sub, DEMO_ACCOUNT.sub);
  assert.equal(line.scope, 'provider_session', 'the provider named its session (sid)');
  assert.equal(await authStatus(stack, cookie), 401, 'the cookie from before is refused');
  assert.equal(await authStatus(stack, other.jar.get('latchkey').value), 200, 'the session of another provider session lives on');
});

t('a logout token that fails a check is refused with 400 invalid_request; a replayed jti too', async () => {
  const forged = await postToken('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln');
  assert.equal(forged.status, 400);
  assert.equal(forged.headers.get('cache-control'), 'no-store');
  assert.equal(JSON.parse(forged.body).error, 'invalid_request');

  const withNonce = await postToken(await signedByProvider(logoutClaims({ sub: DEMO_ACCOUNT.sub, nonce: 'n' })));
  assert.equal(withNonce.status, 400);
  assert.match(JSON.parse(withNonce.body).error_description, /nonce/);
  const noEvents = await postToken(await signedByProvider(logoutClaims({ sub: DEMO_ACCOUNT.sub, events: {} })));
  assert.equal(noEvents.status, 400);

  const client = stack.client();
  await signIn(client, DEMO_ACCOUNT);
  const cookie = client.jar.get('latchkey').value;
  await sleep(1100);  // the subject mark voids sessions issued before the second it is made
  const token = await signedByProvider(logoutClaims({ sub: DEMO_ACCOUNT.sub }));
  const first = await postToken(token);
  assert.equal(first.status, 200, first.body);
  assert.equal(await authStatus(stack, cookie), 401, 'sub alone ends every earlier session of the user');
  const replay = await postToken(token);
  assert.equal(replay.status, 400);
  assert.match(JSON.parse(replay.body).error_description, /jti/);
  const refused = await stack.latchkey.waitForLog((o) => o.event === 'backchannel_logout_refused' && o.reason === 'logout_token_replayed');
  assert.ok(!JSON.stringify(refused).includes(token.split('.')[2]), 'the token is never logged');
});

test('without a session store /backchannel-logout refuses clearly (501)', async () => {
  const r = await plain.client().post('/backchannel-logout', { form: { logout_token: 'x.y.z' } });
  assert.equal(r.status, 501);
  assert.match(JSON.parse(r.body).error_description, /session_store/);
});

// The provider issues no refresh token here (as Google): re-validation asks userinfo.
test('revalidate_seconds: an account removed at the provider loses its session within the interval', async () => {
  const client = plain.client();
  await signIn(client, DEMO_ACCOUNT);
  assert.equal((await client.get('/_latchkey/auth')).status, 200);
  await sleep(REVALIDATE * 1000 + 200);
  const checked = await client.get('/_latchkey/auth');
  assert.equal(checked.status, 200, 'the provider still vouches: the session goes on');
  assert.ok(checked.setCookies.some((c) => c.startsWith('latchkey=') && !c.startsWith('latchkey=;')), 'with a renewed cookie');
  await plain.latchkey.waitForLog('session_revalidated');

  await plain.provider.removeAccount(DEMO_ACCOUNT.sub);
  assert.equal((await client.get('/_latchkey/auth')).status, 200, 'within the interval the cookie alone answers');
  await sleep(REVALIDATE * 1000 + 200);
  const refused = await client.get('/_latchkey/auth');
  assert.equal(refused.status, 401, plain.diagnostics());
  const line = await plain.latchkey.waitForLog((o) => o.event === 'revalidation_failed');
  assert.equal(line.reason, 'revalidation_failed');
});
