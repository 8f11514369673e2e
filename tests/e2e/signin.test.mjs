// The whole sign-in against the local OpenID provider, through the shipped nginx config:
// /login, the provider's login form, the callback, the session on every route, refresh of a
// short-lived access token, sign-out with revocation, two tabs, replayed callbacks, the rd
// parameter, and a restart while sign-ins are half done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './lib/stack.mjs';
import { Client, visibleText } from './lib/client.mjs';
import { signIn, beginSignIn, authorizeAtProvider, finishSignIn } from './lib/signin.mjs';
import { assertHtmlPage, sessionSetCookie, localTarget, withLogs } from './lib/assertions.mjs';
import { DEMO_ACCOUNT, CLIENT_ID } from './lib/provider.mjs';
import { sleep } from './lib/process.mjs';

const ACCESS_TOKEN_TTL = 2;
let stack;

before(async () => {
  // 32 threads: the SIGTERM test keeps 20 sign-ins in flight at once.
  stack = await startStack('signin', { provider: { accessTokenTTL: ACCESS_TOKEN_TTL }, latchkeyArgs: ['--threads', '32'] });
});
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, (ctx) => withLogs(stack, fn)(ctx));

async function poll(fn, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// /login sends the browser to the provider with code flow, state, nonce and PKCE S256
// (RFC 7636 §4.3), and sets a login cookie but no session.
t('/login redirects to the provider with state, nonce and PKCE', async () => {
  const client = stack.client();
  const r = await client.get('/login');
  assert.equal(r.status, 302);
  const u = new URL(r.location);
  assert.equal(`${u.origin}${u.pathname}`, `${stack.provider.issuer}/auth`);
  const q = u.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), CLIENT_ID);
  assert.equal(q.get('redirect_uri'), stack.redirectUri);
  assert.ok(q.get('scope').split(' ').includes('openid'));
  assert.ok((q.get('state') ?? '').length >= 16, 'state has entropy');
  assert.ok((q.get('nonce') ?? '').length >= 16, 'nonce has entropy');
  assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.ok(r.setCookies.length >= 1, 'a login cookie');
  for (const c of r.setCookies) assert.match(c, /;\s*HttpOnly/i, `HttpOnly: ${c}`);
  assert.equal(sessionSetCookie(r), null, 'no session before the callback');
  const again = await client.get('/login');
  assert.notEqual(new URL(again.location).searchParams.get('state'), q.get('state'), 'a new state per sign-in');
});

// The full sign-in: the session works on every route, and the sign-in is logged without codes.
t('sign in as alice: home page, /auth, /userinfo, protected location', async () => {
  const client = stack.client();
  const { callbackUrl, response } = await signIn(client);
  assert.equal(localTarget(response.location, stack.url), '/');
  const set = sessionSetCookie(response);
  assert.ok(set, 'session cookie set');
  assert.match(set, /;\s*HttpOnly/i);
  assert.match(set, /;\s*SameSite=Lax/i);
  assert.match(set, /;\s*Path=\/(;|$)/i);
  assert.doesNotMatch(set, /;\s*Secure/i, 'not Secure on an http redirect_uri');

  const home = await client.get('/');
  assert.equal(home.status, 200);
  assertHtmlPage(home);
  assert.match(visibleText(home.body), /Logged in as alice@example\.com/);
  assert.match(visibleText(home.body), /Alice Liddell/);

  const auth = await client.get('/_latchkey/auth');
  assert.equal(auth.status, 200);
  assert.equal(auth.header('x-auth-request-user'), DEMO_ACCOUNT.sub);
  assert.equal(auth.header('x-auth-request-email'), DEMO_ACCOUNT.login);
  assert.equal(auth.header('x-auth-request-name'), DEMO_ACCOUNT.name);

  const who = await client.get('/_whoami/');
  assert.equal(who.status, 200);
  assert.equal(who.header('x-test-email'), DEMO_ACCOUNT.login);
  const app = await client.get('/app/');
  assert.equal(app.status, 200);

  const ui = JSON.parse((await client.get('/userinfo')).body);
  assert.equal(ui.sub, DEMO_ACCOUNT.sub);
  assert.equal(ui.email, DEMO_ACCOUNT.login);
  assert.equal(ui.name, DEMO_ACCOUNT.name);
  assert.ok(ui.exp > Date.now() / 1000);

  const logged = await stack.latchkey.waitForLog((o) => JSON.stringify(o).includes(DEMO_ACCOUNT.login));
  assert.ok(logged.event, 'the sign-in is logged with the e-mail');
  const code = new URL(callbackUrl).searchParams.get('code');
  for (const line of stack.latchkey.proc.lines) assert.ok(!line.includes(code), `authorization code logged: ${line}`);
});

// After the access token expires, /auth refreshes it (refresh_token grant) and sends a new
// session cookie; the visitor stays signed in.
t('expired access token is refreshed on /auth with a new session cookie', async () => {
  const client = stack.client();
  await signIn(client);
  const before_ = (await stack.provider.grants()).refresh_token ?? 0;
  await sleep((ACCESS_TOKEN_TTL + 1) * 1000);
  const r = await client.get('/_latchkey/auth');
  assert.equal(r.status, 200);
  assert.ok(sessionSetCookie(r), `a renewed session cookie (Set-Cookie: ${JSON.stringify(r.setCookies)})`);
  assert.ok(((await stack.provider.grants()).refresh_token ?? 0) > before_, 'the provider saw a refresh_token grant');
  const again = await client.get('/_latchkey/auth');
  assert.equal(again.status, 200, 'the renewed cookie works');
  assert.equal(again.header('x-auth-request-email'), DEMO_ACCOUNT.login);
});

// Sign-out clears the cookie, revokes the token at the provider (RFC 7009), and lands on /.
t('logout (GET and POST): cookie cleared, token revoked, 302 /', async () => {
  for (const method of ['get', 'post']) {
    const client = stack.client();
    await signIn(client);
    const before_ = (await stack.provider.revocations()).count;
    const r = await client[method]('/logout');
    assert.equal(r.status, 302, method);
    assert.equal(localTarget(r.location, stack.url), '/');
    assert.ok(r.setCookies.some((c) => c.startsWith('latchkey=')), 'the session cookie is overwritten');
    assert.equal(client.jar.get('latchkey'), undefined, 'and expired');
    await poll(async () => (await stack.provider.revocations()).count > before_, 'a revocation at the provider');
    assert.equal((await client.get('/_latchkey/auth')).status, 401);
    assert.match(visibleText((await client.get('/')).body), /Sign in with/i);
  }
});

// Two tabs start signing in before either finishes: both callbacks succeed.
t('two sign-ins in parallel tabs both succeed', async () => {
  const client = stack.client();
  const a = await beginSignIn(client, { rd: '/tab-a' });
  const b = await beginSignIn(client, { rd: '/tab-b' });
  const callbackA = await authorizeAtProvider(client, a);
  const callbackB = await authorizeAtProvider(client, b);
  const ra = await finishSignIn(client, callbackA);
  assert.equal(ra.status, 302, `tab A: ${ra.body.slice(0, 300)}`);
  assert.equal(localTarget(ra.location, stack.url), '/tab-a');
  const rb = await finishSignIn(client, callbackB);
  assert.equal(rb.status, 302, `tab B: ${rb.body.slice(0, 300)}`);
  assert.equal(localTarget(rb.location, stack.url), '/tab-b');
  assert.ok(sessionSetCookie(ra) && sessionSetCookie(rb));
  assert.equal((await client.get('/_latchkey/auth')).status, 200);
});

// A callback URL used twice (browser history, a leaked URL) never makes a session. The browser
// that signed in (and so is signed in) is told so and offered "Continue"; any other gets an
// error page.
t('replayed callback: no new session; "Continue" for the signed-in browser', async () => {
  const client = stack.client();
  const { callbackUrl } = await signIn(client);
  for (const [who, c, statuses] of [['same browser', client, [200]], ['another browser', stack.client(), [400, 401, 403, 502]]]) {
    const r = await c.get(callbackUrl);
    assert.ok(statuses.includes(r.status), `${who}: status ${r.status}`);
    assertHtmlPage(r, who);
    assert.equal(sessionSetCookie(r), null, `${who}: no session cookie`);
  }
  assert.match((await client.get(callbackUrl)).body, />Continue<\/a>/);
  const stranger = stack.client();
  await stranger.get(callbackUrl);
  assert.equal((await stranger.get('/_latchkey/auth')).status, 401);
});

// Callbacks that are broken in other ways: each an HTML error page without a session.
t('bad callbacks: error pages, no session', async () => {
  const client = stack.client();
  const authorize = await beginSignIn(client);
  const state = new URL(authorize).searchParams.get('state');
  const cases = [
    ['no login cookie', stack.client(), `/login/authorized?code=abc&state=${state}`],
    ['wrong state', client, '/login/authorized?code=abc&state=not-the-state'],
    ['no code', client, `/login/authorized?state=${state}`],
    ['provider error', client, `/login/authorized?error=access_denied&error_description=${encodeURIComponent('<b>no</b>')}&state=${state}`],
    ['unknown code', client, `/login/authorized?code=made-up-code&state=${state}`],
  ];
  for (const [what, c, url] of cases) {
    const r = await c.get(url);
    assert.ok([400, 401, 403, 502].includes(r.status), `${what}: status ${r.status}`);
    assertHtmlPage(r, what);
    assert.equal(sessionSetCookie(r), null, `${what}: no session`);
    assert.ok(!r.body.includes('<b>no</b>'), `${what}: provider text is escaped`);
  }
});

// rd brings the visitor back to a local path; anything that could lead off-site becomes /.
t('rd: local paths honoured, off-site targets fall back to /', async () => {
  const client = stack.client();
  const cases = [
    ['/some/path', '/some/path'],
    ['/app/report?year=2025', '/app/report?year=2025'],
    ['//evil.example', '/'],
    ['//evil.example/path', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.example', '/'],
  ];
  for (const [rd, expected] of cases) {
    const { response } = await signIn(client, DEMO_ACCOUNT, { rd });
    assert.equal(localTarget(response.location, stack.url), expected, `rd=${rd}`);
  }
});

// A name with HTML in it is shown as text, never as markup.
t('claims are escaped on the home page', async () => {
  const client = stack.client();
  await signIn(client, { login: 'mallory@example.com', password: 'mallory' });
  const home = await client.get('/');
  assert.equal(home.status, 200);
  assert.ok(!home.body.includes('<script>alert'), 'no raw script tag from the name claim');
  assert.match(visibleText(home.body), /<script>alert\("x"\)<\/script> & Mallory/);
});

// Restart while 20 sign-ins wait on a slow provider: SIGTERM lets each finish (302 with a
// session), then latchkey exits 0. Last test: it stops this file's latchkey.
t('SIGTERM during 20 slow sign-ins: all complete, exit 0', async () => {
  const clients = Array.from({ length: 20 }, () => stack.client());
  const callbacks = [];
  for (const c of clients) callbacks.push(await authorizeAtProvider(c, await beginSignIn(c)));
  const seen = (await stack.provider.tokenEndpoint()).requests;
  await stack.provider.setTokenDelay(1500);
  try {
    const answers = clients.map((c, i) => finishSignIn(c, callbacks[i]));
    await poll(async () => (await stack.provider.tokenEndpoint()).requests >= seen + 20, 'all 20 code exchanges to reach the provider', 15000);
    const exit = stack.latchkey.proc.exited;
    stack.latchkey.proc.child.kill('SIGTERM');
    const results = await Promise.allSettled(answers);
    const bad = results.map((r, i) => (r.status !== 'fulfilled' ? `#${i}: ${r.reason.message}`
      : r.value.status !== 302 || !sessionSetCookie(r.value) ? `#${i}: ${r.value.status} ${r.value.body.slice(0, 200)}` : null)).filter(Boolean);
    assert.deepEqual(bad, [], 'every sign-in in flight completes');
    const { code, signal } = await exit;
    assert.equal(signal, null, 'exited by itself');
    assert.equal(code, 0);
  } finally {
    await stack.provider.setTokenDelay(0);
  }
});
