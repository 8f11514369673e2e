// Provider calls never starve the gate, through real nginx in front of the scriptable fake
// provider. Every route shares latchkey's worker pool, and a provider call holds a worker for
// up to http_timeout: with the provider hanging and three sign-ins per worker in flight,
// signed-in visitors' /auth must keep answering 200 at once; visitors over the bound on
// provider calls get a 503 page saying to retry. A discovery failure is remembered instead of
// being fetched again per request. A refresh never holds /auth for long, a transient refresh
// failure keeps the session, and only invalid_grant ends it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, toCallback, assertSignedIn, logMark, waitForLogSince, SESSION_COOKIE } from '../provider/fake-stack.mjs';
import { mintCookie } from './lib/latchkey.mjs';
import { assertHtmlPage, sessionSetCookie, withLogs } from './lib/assertions.mjs';
import { visibleText } from './lib/client.mjs';
import { sleep } from './lib/process.mjs';
import { loop, getStatus, percentiles, slowFactor } from '../soak/lib.mjs';

const THREADS = 4;
const CALL_LIMIT = THREADS - THREADS / 4;  // providerCallLimit: all but a quarter of the workers
const HTTP_TIMEOUT = 3;  // seconds
const AUTH_P99_BOUND_MS = 50 * slowFactor();
// A refresh holds a request at most 200 ms (RefreshCoordinator); the rest is slack.
const REFRESH_WAIT_BOUND_MS = 1000 * slowFactor();

let s;
const figures = {};

before(async () => {
  s = await startFakeStack('provider-load', {
    config: { http_timeout: HTTP_TIMEOUT },
    latchkeyArgs: ['--threads', String(THREADS)],
  });
});

after(async () => {
  if (Object.keys(figures).length) console.log(`# provider load figures: ${JSON.stringify(figures)}`);
  await s?.stop();
});

const t = (name, fn) => test(name, async (tt) => {
  try {
    await withLogs(s, () => fn())(tt);
  } finally {
    s.fake.script({});
  }
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

// "latchkey=<value>" for a minted session; with refreshToken, a refresh is due at once.
function sessionCookie({ refreshToken, lifetime } = {}) {
  const value = mintCookie({
    configFile: s.latchkey.configFile, sub: 'load-user', email: 'load@example.com', name: 'Load User',
    lifetime,
    ...(refreshToken ? { accessToken: `at-${refreshToken}`, refreshToken, accessExpiresAt: nowSeconds() - 10 } : {}),
  });
  return `${SESSION_COOKIE}=${value}`;
}

async function auth(cookie) {
  const started = performance.now();
  const res = await fetch(`${s.url}/_latchkey/auth`, { headers: { cookie }, redirect: 'manual' });
  await res.arrayBuffer();
  return { status: res.status, setCookies: res.headers.getSetCookie(), ms: performance.now() - started };
}

t('a discovery failure is remembered: five sign-in starts in a row fetch discovery once', async () => {
  const fresh = await startFakeStack('provider-load-discovery', { config: { http_timeout: HTTP_TIMEOUT } });
  try {
    fresh.fake.script({ discoveryBody: 'not a discovery document' });
    for (let i = 0; i < 5; i++) {
      const r = await fresh.client().get('/login');
      assert.equal(r.status, 502, `attempt ${i + 1}: ${r.body.slice(0, 300)}`);
      assertHtmlPage(r);
    }
    assert.equal(fresh.fake.counts.discovery, 1, 'the failure was remembered, not fetched per request');
  } finally {
    await fresh.stop();
  }
});

t('a refresh answered 503 keeps the session; invalid_grant ends it; a good refresh sets a new cookie', async () => {
  s.fake.script({ token: { status: 503, body: '{"error":"temporarily_unavailable"}' } });
  const transient = await auth(sessionCookie({ refreshToken: 'rt-transient' }));
  assert.equal(transient.status, 200, 'a transient refresh failure does not sign the visitor out');
  assert.ok(!transient.setCookies.some((c) => /Max-Age=0/.test(c)), `the cookie is not cleared: ${transient.setCookies}`);
  assert.ok(await waitForLogSince(s, 0, (o) => o.event === 'refresh_deferred'), 'the deferred refresh is logged');

  s.fake.script({ token: { error: 'invalid_grant' } });
  const revoked = await auth(sessionCookie({ refreshToken: 'rt-revoked' }));
  assert.equal(revoked.status, 401, 'invalid_grant: the grant is gone, so is the session');
  assert.ok(revoked.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`) && /Max-Age=0/.test(c)), `cleared: ${revoked.setCookies}`);

  s.fake.script({});
  const good = await auth(sessionCookie({ refreshToken: 'rt-good' }));
  assert.equal(good.status, 200);
  assert.equal(good.setCookies.length, 1, `the refreshed session comes back: ${good.setCookies}`);
  assert.ok(!/Max-Age=0/.test(good.setCookies[0]));
});

t('a refresh due while the provider hangs holds /auth for at most a moment; the session is served', async () => {
  s.fake.script({ token: { hang: true } });
  const cookie = sessionCookie({ refreshToken: 'rt-hang' });
  const first = await auth(cookie);
  assert.equal(first.status, 200, 'the session is served while the refresh waits on the provider');
  assert.ok(first.ms < REFRESH_WAIT_BOUND_MS, `first /auth took ${first.ms} ms (bound ${REFRESH_WAIT_BOUND_MS})`);
  const later = [];
  for (let i = 0; i < 20; i++) later.push(await auth(cookie));
  assert.deepEqual([...new Set(later.map((x) => x.status))], [200]);
  const lat = percentiles(later.map((x) => x.ms));
  figures.auth_refresh_pending = { first_ms: Math.round(first.ms), ...lat };
  assert.ok(lat.p99 < AUTH_P99_BOUND_MS, `/auth while the refresh is pending: ${JSON.stringify(lat)}`);
});

t(`provider hanging, ${3 * THREADS} sign-ins in flight on ${THREADS} threads: /auth stays 200 with p99 < 50 ms`, async () => {
  const cookie = sessionCookie();
  assert.equal((await auth(cookie)).status, 200);
  const visitors = Array.from({ length: 3 * THREADS }, () => s.client());
  const callbacks = [];
  for (const c of visitors) callbacks.push(await toCallback(s, c));
  s.fake.script({ token: { hang: true } });
  const tokenCallsBefore = s.fake.counts.token;
  const mark = logMark(s);
  const started = Date.now();
  let answered = 0;
  const answers = Promise.all(visitors.map(async (c, i) => {
    const r = await c.get(callbacks[i]);
    answered++;
    return { r, ms: Date.now() - started, c, url: callbacks[i] };
  }));
  // The sign-ins over the bound are turned away within moments (the first after waiting
  // BoundedProvider's 500 ms for a place); /auth is measured from then on, while the others
  // hang at the provider until http_timeout.
  while (answered < visitors.length - CALL_LIMIT && Date.now() - started < 1500 * slowFactor()) await sleep(10);
  const probe = loop(2, async () => {
    const r = await auth(cookie);
    return r.status;
  });
  await sleep(1500);
  const samples = await probe.stop();
  const results = await answers;

  const bad = samples.filter((x) => x.status !== 200);
  assert.equal(bad.length, 0, `/auth answered something else than 200: ${JSON.stringify(bad.slice(0, 5))}`);
  const lat = percentiles(samples.map((x) => x.end - x.start));
  figures.auth_during_hang = { ...lat, threads: THREADS, sign_ins: visitors.length, hanging_at_provider: s.fake.counts.token - tokenCallsBefore };
  assert.ok(lat.n >= 20, `enough /auth samples (${lat.n})`);
  assert.ok(lat.p99 < AUTH_P99_BOUND_MS, `/auth p99 ${lat.p99} ms with the provider hanging (bound ${AUTH_P99_BOUND_MS} ms): ${JSON.stringify(lat)}`);

  // Over the bound: a 503 page at once, saying to retry, with Retry-After. Within it: the
  // provider's timeout, a 502.
  const busy = results.filter((x) => x.r.status === 503);
  const timedOut = results.filter((x) => x.r.status === 502);
  assert.equal(busy.length + timedOut.length, results.length, `only 503 and 502: ${results.map((x) => x.r.status)}`);
  assert.ok(busy.length >= visitors.length - CALL_LIMIT, `the sign-ins over the bound were turned away (${busy.length})`);
  assert.ok(s.fake.counts.token - tokenCallsBefore <= CALL_LIMIT, `at most ${CALL_LIMIT} workers waited on the provider`);
  for (const { r, ms } of busy) {
    assertHtmlPage(r);
    assert.equal(r.header('retry-after'), '1');
    assert.match(visibleText(r.body), /Try again at once/);
    assert.ok(ms < 1500 * slowFactor(), `the 503 came at once (${ms} ms)`);
    assert.equal(sessionSetCookie(r, SESSION_COOKIE), null);
  }
  assert.ok(await waitForLogSince(s, mark, (o) => o.event === 'provider_busy'), 'refusals are logged');
  figures.busy = busy.length;
  figures.timed_out = timedOut.length;

  // The code of a turned-away sign-in never left latchkey: retrying the same callback works.
  s.fake.script({});
  const again = await busy[0].c.get(busy[0].url);
  assertSignedIn(again, busy[0].c);
});
