// RP-Initiated Logout 1.0 against the npm oidc-provider: with rp_initiated_logout on, /logout
// ends latchkey's session and continues at the provider's end_session_endpoint with the ID
// token as id_token_hint (kept, encrypted, in the SQLite session store) and the registered
// post_logout_redirect_uri; the provider's own session ends too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from './lib/stack.mjs';
import { signIn, beginSignIn, logoutForm } from './lib/signin.mjs';
import { withLogs } from './lib/assertions.mjs';
import { CLIENT_ID, DEMO_ACCOUNT } from './lib/provider.mjs';
import { workDir } from './lib/paths.mjs';

const BYE = 'http://localhost/signed-out';
let stack;

before(async () => {
  const state = workDir('rp-logout-state');
  stack = await startStack('rp-logout', {
    provider: { postLogoutRedirectUris: [BYE] },
    config: { session_store: `sqlite:${path.join(state, 'state.db')}`, rp_initiated_logout: 'true', post_logout_redirect_uri: BYE },
  });
});
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, (ctx) => withLogs(stack, fn)(ctx));


t('/logout continues at end_session_endpoint with id_token_hint; the provider session ends', async () => {
  const client = stack.client();
  await signIn(client, DEMO_ACCOUNT);
  const out = await client.post('/logout');
  assert.equal(out.status, 302);
  const end = new URL(out.location);
  const meta = await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(`${end.origin}${end.pathname}`, meta.end_session_endpoint);
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), BYE);
  assert.equal(end.searchParams.get('client_id'), CLIENT_ID);
  const hint = end.searchParams.get('id_token_hint') ?? '';
  assert.equal(hint.split('.').length, 3, 'id_token_hint is a compact JWT');
  const claims = JSON.parse(Buffer.from(hint.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, DEMO_ACCOUNT.sub);
  assert.equal(claims.aud, CLIENT_ID);
  assert.ok(out.setCookies.some((c) => /^latchkey=;/.test(c)), 'the session cookie is cleared');
  assert.equal((await client.get('/_latchkey/auth')).status, 401);

  // The provider asks for confirmation, then sends the browser to post_logout_redirect_uri.
  const confirm = await client.get(out.location);
  assert.equal(confirm.status, 200, confirm.body.slice(0, 400));
  const form = logoutForm(confirm.body, out.location);
  const done = await client.post(form.url, { form: { ...form.fields, logout: 'yes' } });
  assert.ok(done.status >= 300 && done.status < 400, `confirmation answered ${done.status}`);
  assert.equal(done.location.split('?')[0], BYE);
  // Signed out at the provider: a new sign-in asks for the password again.
  const authorize = await client.get(await beginSignIn(client));
  let page = authorize;
  for (let hop = 0; hop < 5 && page.status >= 300 && page.location?.startsWith(stack.provider.issuer); hop++) page = await client.get(page.location);
  assert.match(page.body, /\/interaction\/[^"]*\/login/, 'the provider shows its login form again');
});

t('without rp_initiated_logout the default stays: /logout lands on the start page', async () => {
  const plain = await startStack('rp-logout-off');
  try {
    const client = plain.client();
    await signIn(client, DEMO_ACCOUNT);
    const out = await client.post('/logout');
    assert.equal(out.status, 302);
    assert.equal(out.location, `${plain.url}/`);
  } finally {
    await plain.stop();
  }
});
