// Attacks on the OAuth callback (RFC 9700 §4.7 CSRF, §4.5 code injection and replay; RFC 6749
// §4.1.2.1 error answers): each ends in a 400/403 page naming the check, a sign_in_failed log
// line, no session, and the code is never redeemed twice. Provider: tests/provider/fake-provider.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, toCallback, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';
import { visibleText } from './lib/client.mjs';

const LOGIN_PREFIX = 'latchkey-login-';
let stack;
before(async () => { stack = await startFakeStack('callback-attacks'); });
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, async () => {
  try {
    await fn();
  } catch (err) {
    err.message = `${err.message}\n${stack.diagnostics()}`;
    throw err;
  } finally {
    stack.fake.script({});
  }
});

const loginCookies = (client) => client.jar.cookies.filter((c) => c.name.startsWith(LOGIN_PREFIX));
const withQuery = (url, edit) => {
  const u = new URL(url);
  edit(u.searchParams);
  return u.toString();
};

// Requests url and asserts the refusal; the token endpoint must not have been called.
async function refusedWithoutRedeeming(client, url, expect) {
  const mark = logMark(stack);
  const tokenCalls = stack.fake.counts.token;
  const r = await client.get(url);
  const line = await assertRefused(stack, r, { ...expect, mark });
  assert.equal(stack.fake.counts.token, tokenCalls, 'the code was not sent to the token endpoint');
  return { r, line };
}

// An answer without state cannot be tied to a sign-in started here (RFC 6749 §10.12).
t('state missing → 400 state_missing', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  await refusedWithoutRedeeming(client, withQuery(cb, (q) => q.delete('state')), { status: 400, reason: 'state_missing', client });
});

// A code without a code parameter is not a sign-in answer.
t('code missing → 400 code_missing', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  await refusedWithoutRedeeming(client, withQuery(cb, (q) => q.delete('code')), { status: 400, reason: 'code_missing', client });
});

// Login CSRF: an attacker's code and state arrive in a browser that started another sign-in.
t('state wrong → 400 state_mismatch', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  const wrong = withQuery(cb, (q) => q.set('state', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
  const { r } = await refusedWithoutRedeeming(client, wrong, { status: 400, reason: 'state_mismatch', client });
  assert.match(visibleText(r.body), /state/i, 'the page names the check');
});

// A callback in a browser without the login cookie (cookies blocked, other host name, or a
// link sent to a victim) is refused and says why.
t('no login cookie → 400 login_cookie_missing', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  assert.ok(loginCookies(client).length >= 1, 'the login cookie was set by /login');
  for (const c of loginCookies(client)) client.jar.delete(c.name);
  const { r } = await refusedWithoutRedeeming(client, cb, { status: 400, reason: 'login_cookie_missing', client });
  assert.match(visibleText(r.body), /cookie/i, 'the page says the cookie is missing');
});

// A login cookie altered by the client fails its HMAC and counts as no cookie.
t('tampered login cookie → 400 login_cookie_missing', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  for (const c of loginCookies(client)) c.value = `${c.value.slice(0, -4)}${c.value.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  await refusedWithoutRedeeming(client, cb, { status: 400, reason: 'login_cookie_missing', client });
});

// RFC 9700 §4.5: the same code and state replayed (by the same browser, by a copy of its
// cookies, by another browser) never make a second session, and the code is redeemed once.
t('the same code and state replayed: no second session, code redeemed exactly once', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  const copy = client.jar.clone();  // the login cookie, as an attacker who copied it has it
  const tokenCalls = stack.fake.counts.token;
  const first = await client.get(cb);
  assertSignedIn(first, client);
  assert.equal(stack.fake.counts.token, tokenCalls + 1);

  // The same browser: its login cookie was deleted by the successful callback. It is signed
  // in, so it is told so ("You are already signed in", 200) instead of an error page.
  await refusedWithoutRedeeming(client, cb, { status: 200, reason: 'login_cookie_missing' });
  // A copy of the cookies taken before the callback: the state was already used.
  const thief = stack.client();
  thief.jar = copy.clone();
  const { line } = await refusedWithoutRedeeming(thief, cb, { status: 400, reason: 'state_mismatch', client: thief });
  assert.match(line.detail, /replay|already/i);
  // Another browser altogether.
  await refusedWithoutRedeeming(stack.client(), cb, { status: 400, reason: 'login_cookie_missing' });
  const code = new URL(cb).searchParams.get('code');
  assert.equal(stack.fake.code(code).used, true);
  assert.equal(stack.fake.counts.token, tokenCalls + 1, 'the code went to the token endpoint once');
});

// RFC 6749 §4.1.2.1: the provider's error answer. error_description is attacker-chosen text:
// it must never reach the page unescaped.
t('error=access_denied with a <script> error_description → 403, nothing unescaped', async () => {
  const script = '<script>alert(document.cookie)</script>';
  stack.fake.script({ authorize: { error: 'access_denied', errorDescription: `User said no ${script}<img src=x onerror=alert(1)>` } });
  const client = stack.client();
  const cb = await toCallback(stack, client);
  const mark = logMark(stack);
  const r = await client.get(cb);
  await assertRefused(stack, r, { status: 403, reason: 'provider_returned_error', mark, client });
  assert.ok(!r.body.includes('<script>alert'), 'no raw script tag in the page');
  assert.ok(!r.body.includes('<img src=x'), 'no raw img tag in the page');
  assert.match(visibleText(r.body), /denied|cancel/i, 'the page says access was denied');
  assert.equal(loginCookies(client).length, 0, "this flow's login cookie is deleted");
});

// The error code itself is attacker-controlled too; shown, but escaped.
t('error=<script> code → 401 page with the code escaped', async () => {
  const client = stack.client();
  const cb = await toCallback(stack, client);
  const evil = withQuery(cb, (q) => { q.delete('code'); q.set('error', '<script>alert(1)</script>'); });
  const { r } = await refusedWithoutRedeeming(client, evil, { status: 401, reason: 'provider_returned_error', client });
  assert.ok(!r.body.includes('<script>alert(1)'), 'no raw script tag in the page');
  assert.match(r.body, /&lt;script&gt;|&#60;script&#62;|&#x3c;script/i, 'the code is shown escaped');
});
