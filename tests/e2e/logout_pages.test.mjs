// Pages an attacker can point a visitor at, and sign-out, through real nginx in front of the
// scriptable fake provider:
// - the callback shows the provider's error_description only for a sign-in this browser
//   started (state matches a live login cookie), never text from a crafted link;
// - a cross-site GET /logout (Sec-Fetch-Site: cross-site, or a foreign Origin) signs nobody
//   out: it shows a page whose sign-out control is a POST form;
// - sign-out revokes the provider token even when the session has just expired.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, toCallback, attemptSignIn, assertSignedIn, assertRefused, logMark, SESSION_COOKIE } from '../provider/fake-stack.mjs';
import { mintCookie } from './lib/latchkey.mjs';
import { assertHtmlPage, localTarget, withLogs } from './lib/assertions.mjs';
import { visibleText } from './lib/client.mjs';
import { sleep } from './lib/process.mjs';

let s;

before(async () => {
  s = await startFakeStack('logout-pages');
});

after(async () => {
  await s?.stop();
});

const t = (name, fn) => test(name, async (tt) => {
  try {
    await withLogs(s, () => fn())(tt);
  } finally {
    s.fake.script({});
  }
});

const INJECTED = 'Your account is locked. Call +1 555 0100 to unlock it';

async function revocationsAfter(before_, { waitMs = 1000 } = {}) {
  const deadline = Date.now() + waitMs;
  while (s.fake.counts.revoke <= before_ && Date.now() < deadline) await sleep(20);
  return s.fake.counts.revoke - before_;
}

t('a crafted callback link with error_description shows a generic page without its text', async () => {
  const client = s.client();
  const mark = logMark(s);
  // No sign-in in this browser, and a state of someone else's (or made-up) flow.
  const crafted = `/login/authorized?error=access_denied&state=made-up&error_description=${encodeURIComponent(INJECTED)}`;
  const r = await client.get(crafted);
  await assertRefused(s, r, { status: 400, reason: 'state_mismatch', mark, client });
  assert.ok(!visibleText(r.body).includes('locked'), `no attacker text on the page: ${visibleText(r.body)}`);

  // This browser did start a sign-in, but the link carries another state.
  const other = s.client();
  await other.get('/login');
  const r2 = await other.get(`/login/authorized?error=server_error&state=not-this-flows&error_description=${encodeURIComponent(INJECTED)}`);
  assertHtmlPage(r2);
  assert.ok(!visibleText(r2.body).includes('locked'), 'no attacker text with a foreign state either');
});

t("the provider's error_description is shown for this browser's own sign-in", async () => {
  s.fake.script({ authorize: { error: 'access_denied', errorDescription: 'The user declined the request' } });
  const client = s.client();
  const cb = await toCallback(s, client);
  const mark = logMark(s);
  const r = await client.get(cb);
  await assertRefused(s, r, { status: 403, reason: 'provider_returned_error', mark, client });
  assert.match(visibleText(r.body), /The user declined the request/);
});

async function signedInClient() {
  const client = s.client();
  const { response } = await attemptSignIn(s, client);
  assertSignedIn(response, client);
  return client;
}

for (const [what, headers] of [
  ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ['a foreign Origin (no Fetch Metadata)', { origin: 'https://evil.example' }],
]) {
  t(`cross-site GET /logout (${what}) signs nobody out: a page with a POST sign-out button`, async () => {
    const client = await signedInClient();
    const revokes = s.fake.counts.revoke;
    const r = await client.get('/logout', { headers });
    assert.equal(r.status, 200, `a page, not a sign-out: ${r.status}`);
    assertHtmlPage(r);
    assert.match(r.body, /<form[^>]*method="post"[^>]*action="\/logout"/, 'the page has a POST form to /logout');
    assert.match(r.body, /<button[^>]*>Sign out<\/button>/);
    assert.ok(!r.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`)), `the session cookie is untouched: ${r.setCookies}`);
    assert.equal((await client.get('/_latchkey/auth')).status, 200, 'still signed in');
    assert.equal(await revocationsAfter(revokes, { waitMs: 300 }), 0, 'no token was revoked');

    // The button on that page: a same-origin POST signs out.
    const out = await client.post('/logout', { headers: { 'sec-fetch-site': 'same-origin', origin: s.url } });
    assert.equal(out.status, 302);
    assert.equal(localTarget(out.location, s.url), '/');
    assert.equal((await client.get('/_latchkey/auth')).status, 401);
    assert.equal(await revocationsAfter(revokes), 1, 'the token was revoked');
  });
}

t('same-site GET /logout (Sec-Fetch-Site same-origin / none, or our own Origin) signs out', async () => {
  for (const headers of [{ 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: s.url }]) {
    const client = await signedInClient();
    const r = await client.get('/logout', { headers });
    assert.equal(r.status, 302, JSON.stringify(headers));
    assert.equal((await client.get('/_latchkey/auth')).status, 401, JSON.stringify(headers));
  }
});

t('sign-out of a session that has just expired still revokes its token', async () => {
  const value = mintCookie({
    configFile: s.latchkey.configFile, sub: 'expired-user', email: 'expired@example.com', name: 'Expired',
    lifetime: -60, accessToken: 'at-expired', refreshToken: 'rt-expired',
  });
  const client = s.client();
  client.jar.set(s.url, SESSION_COOKIE, value);
  assert.equal((await client.get('/_latchkey/auth', { headers: { cookie: `${SESSION_COOKIE}=${value}` } })).status, 401, 'the session is over');
  const revokes = s.fake.counts.revoke;
  const r = await client.post('/logout', { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
  assert.equal(r.status, 302);
  assert.equal(await revocationsAfter(revokes), 1, 'the refresh token of the expired session was revoked');

  // A cookie that ended long ago (beyond the bound) is not acted on.
  const old = mintCookie({
    configFile: s.latchkey.configFile, sub: 'old-user', email: 'old@example.com', name: 'Old',
    lifetime: -2 * 3600, refreshToken: 'rt-old',
  });
  const before2 = s.fake.counts.revoke;
  assert.equal((await client.post('/logout', { headers: { cookie: `${SESSION_COOKIE}=${old}` } })).status, 302);
  assert.equal(await revocationsAfter(before2, { waitMs: 300 }), 0);
});
