// Running latchkey in production: /metrics scraped through the shipped nginx config, the
// access line of every request with its request id, and SIGHUP reloads (secret rotation,
// allow-lists) under load without a failed request; a bad reload keeps the old configuration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { startStack } from './lib/stack.mjs';
import { signIn } from './lib/signin.mjs';
import { configText, newCookieSecret } from './lib/latchkey.mjs';
import { withLogs } from './lib/assertions.mjs';

let stack;
const baseConfig = { metrics: 'true', access_log: 'true', log_level: 'info' };

before(async () => {
  stack = await startStack('operations', { config: baseConfig, latchkeyArgs: ['--threads', '4'] });
});
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, (ctx) => withLogs(stack, fn)(ctx));

// GET through nginx from a chosen local address (127.0.0.2 is loopback too on Linux).
function getFrom(localAddress, target) {
  return new Promise((resolve, reject) => {
    const u = new URL(target, stack.url);
    const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

// Every sample of the exposition text as {"name{labels}": value}.
function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}

async function scrape() {
  const r = await getFrom('127.0.0.1', '/metrics');
  assert.equal(r.status, 200, `/metrics: ${r.status} ${r.body.slice(0, 300)}\n${stack.diagnostics()}`);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.body);
}

// Writes latchkey.conf anew (the stack's settings plus changes), sends SIGHUP and waits for
// the outcome event ("reloaded" or "reload_refused") that follows the signal.
async function reload(changes, { text } = {}) {
  const before = stack.latchkey.logs().length;
  Object.assign(stack.config, changes);
  fs.writeFileSync(stack.latchkey.configFile, text ?? configText(stack.config));
  stack.latchkey.proc.child.kill('SIGHUP');
  const deadline = Date.now() + 5000;
  for (;;) {
    const outcome = stack.latchkey.logs().slice(before).find((l) => l.event === 'reloaded' || l.event === 'reload_refused');
    if (outcome) return { outcome, lines: stack.latchkey.logs().slice(before) };
    if (Date.now() > deadline) throw new Error(`no reload outcome logged\n${stack.latchkey.tail(20)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const delta = (after, before, key) => (after[key] ?? 0) - (before[key] ?? 0);
const assertDelta = (after, before, key, expected) =>
  assert.equal(delta(after, before, key), expected, `${key}: ${before[key]} -> ${after[key]}`);

// A sign-in, a refused callback and /auth answers each move their own counter by one.
t('metrics: the numbers move as requests come through nginx', async () => {
  const m0 = await scrape();
  const client = stack.client();
  assert.equal((await client.get('/app/')).status, 302, 'signed out: sent to sign in');  // /auth 401
  await signIn(client);
  // index.html by name: /app/ would be two /auth answers (nginx checks again after the index
  // module's internal redirect).
  assert.equal((await client.get('/app/index.html')).status, 200);  // /auth 200
  const forged = await stack.client().get('/login/authorized?state=x&code=y');
  assert.equal(forged.status >= 400, true);
  const m1 = await scrape();
  assertDelta(m1, m0, 'latchkey_sign_ins_started_total', 1);
  assertDelta(m1, m0, 'latchkey_sign_ins_completed_total', 1);
  assertDelta(m1, m0, 'latchkey_sign_ins_refused_total{reason="login_cookie_missing"}', 1);
  assertDelta(m1, m0, 'latchkey_auth_answers_total{status="200"}', 1);
  assertDelta(m1, m0, 'latchkey_auth_answers_total{status="401"}', 1);
  assertDelta(m1, m0, 'latchkey_provider_calls_total{endpoint="token",outcome="ok"}', 1);
  assertDelta(m1, m0, 'latchkey_provider_call_duration_seconds_count{endpoint="token"}', 1);
  assert.ok(m1['latchkey_jwks_fetches_total{outcome="ok"}'] >= 1, 'the keys were fetched once at least');
  assert.ok(m1['latchkey_provider_calls_total{endpoint="discovery",outcome="ok"}'] >= 1);
  assert.equal(m1.latchkey_workers, 4);
  assert.equal(m1.latchkey_workers_busy, 1, 'the scrape itself is the one busy worker');
});

// metrics_allow is latchkey's own lock, whatever nginx lets through; off means 404.
t('metrics: refused to an address outside metrics_allow, 404 when switched off', async () => {
  const { outcome } = await reload({ metrics_allow: '127.0.0.2' });
  assert.equal(outcome.event, 'reloaded');
  const refused = await getFrom('127.0.0.1', '/metrics');
  assert.equal(refused.status, 403);
  assert.doesNotMatch(refused.body, /latchkey_/);
  await stack.latchkey.waitForLog((l) => l.event === 'metrics_refused' && l.client === '127.0.0.1');
  const allowed = await getFrom('127.0.0.2', '/metrics');
  assert.equal(allowed.status, 200);
  assert.match(allowed.body, /^latchkey_sign_ins_started_total \d+$/m);

  await reload({ metrics: 'false', metrics_allow: undefined });
  const off = await getFrom('127.0.0.1', '/metrics');
  assert.equal(off.status, 404);
  assert.doesNotMatch(off.body, /latchkey_/);
  await reload({ metrics: 'true' });
  await scrape();
});

// One JSON line per request: nginx's request id, the route, the visitor's URI without its
// query, status, microseconds, a millisecond timestamp; the sign-in event shares the id.
t('access log: one line per request, and sign-in events carry its request id', async () => {
  const client = stack.client();
  const before = stack.latchkey.logs().length;
  await client.get('/app/?token=do-not-log', { headers: { 'X-Request-ID': 'chosen-by-client' } });
  const { response } = await signIn(client);
  assert.equal(response.status, 302);
  const lines = stack.latchkey.logs().slice(before);
  const requests = lines.filter((l) => l.event === 'request');
  const auth = requests.find((l) => l.route === '/auth');
  assert.ok(auth, JSON.stringify(lines));
  assert.equal(auth.uri, '/app/');
  assert.equal(auth.status, '401');
  assert.match(auth.request_id, /^[0-9a-f]{32}$/, 'nginx $request_id, not the client header');
  assert.match(auth.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(auth.latency_us, /^\d+$/);
  assert.equal(auth.method, 'GET');
  assert.equal(auth.client, '127.0.0.1');
  assert.ok(!JSON.stringify(lines).includes('do-not-log'), 'the query string is never logged');

  const signInEvent = lines.find((l) => l.event === 'sign_in');
  assert.ok(signInEvent);
  const callback = requests.find((l) => l.request_id === signInEvent.request_id);
  assert.ok(callback, 'the sign_in event has the request id of its access line');
  assert.equal(callback.route, '/login/authorized');
  assert.equal(callback.status, '302');
  const ids = requests.map((l) => l.request_id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
});

// Many reloads while clients keep asking: every answer is the right one. The cookie secret
// is rotated (old one kept as cookie_secret_previous), so sessions survive; then the old
// secret is dropped and the old session ends. A broken configuration is refused.
t('reload: SIGHUP under load drops nothing; a bad configuration keeps the old one', async (ctx) => {
  const client = stack.client();
  await signIn(client);
  const cookie = client.jar.header(`${stack.url}/app/`);
  let running = true;
  const results = { ok: 0, bad: [] };
  const worker = async () => {
    while (running) {
      try {
        const r = await fetch(`${stack.url}/app/`, { headers: { cookie }, redirect: 'manual' });
        await r.text();
        if (r.status === 200) results.ok++; else results.bad.push(r.status);
      } catch (err) { results.bad.push(err.message); }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  const firstSecret = stack.config.cookie_secret;
  for (let i = 0; i < 10; i++) {
    // Rotation: a new current secret, the first one still accepted.
    const { outcome } = await reload({ cookie_secret: newCookieSecret(), cookie_secret_previous: firstSecret });
    assert.equal(outcome.event, 'reloaded');
    await new Promise((r) => setTimeout(r, 50));
  }
  const { outcome, lines } = await reload({}, { text: `${configText(stack.config)}clinet_id = typo\n` });
  assert.equal(outcome.event, 'reload_refused');
  assert.ok(lines.some((l) => l.event === 'reload_problem' && /clinet_id/.test(l.problem)));
  await new Promise((r) => setTimeout(r, 200));
  running = false;
  await Promise.all(workers);
  assert.deepEqual(results.bad, [], `failed requests during reloads (${results.ok} ok)`);
  assert.ok(results.ok > 50, `enough load: ${results.ok} requests`);
  ctx.diagnostic(`${results.ok} requests through nginx during 11 reloads, 0 failed`);
  const m = await scrape();
  assert.ok(m['latchkey_reloads_total{outcome="refused"}'] >= 1);
  assert.ok(m['latchkey_reloads_total{outcome="ok"}'] >= 10);

  // The configuration in use after the refused reload is the last good one: the session
  // still opens. Dropping the first secret ends it.
  assert.equal((await client.get('/app/')).status, 200);
  await reload({ cookie_secret_previous: undefined });
  assert.equal((await client.get('/app/')).status, 302, 'a session under a retired secret is gone');
});
