// Cached gate decisions (auth_cache_seconds + nginx/protect-cached.conf), through the shipped
// recipe in real nginx: a decision is only ever reused for the same credentials, a refreshed
// cookie is never cached, a sign-out ends the browser's access at once and a changed
// allow-list within the cache time, and with the cache off latchkey sends no caching header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workDir, REPO } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startLatchkey, mintCookie, newCookieSecret } from './lib/latchkey.mjs';
import { runNginx } from './lib/nginx.mjs';
import { adaptProtectConf, startEchoUpstream } from './lib/gate.mjs';
import { fastcgiRequest, cgiParams } from './lib/fastcgi.mjs';
import { Client } from './lib/client.mjs';
import { sleep } from './lib/process.mjs';
import { startFakeProvider } from '../provider/fake-provider.mjs';

const CACHE_SECONDS = 3;
// nginx keeps time in whole seconds: a kept answer may live up to one second longer.
const NGINX_ROUNDING_MS = 1000;
const CACHED_CONF = path.join(REPO, 'nginx/protect-cached.conf');
const started = [];
let dir, fake, upstream, latchkey, nginx, config;

async function startGate(overrides = {}) {
  config = { ...config, ...overrides };
  latchkey = await startLatchkey({ dir, config });
  started.push(latchkey);
}

before(async () => {
  dir = workDir('auth-cache');
  fake = await startFakeProvider();
  started.push(fake);
  upstream = await startEchoUpstream();
  started.push(upstream);
  const port = await freePort();
  config = {
    issuer: fake.issuer, client_id: fake.clientId, client_secret: fake.clientSecret,
    redirect_uri: `http://127.0.0.1:${port}/login/authorized`, cookie_secret: newCookieSecret(),
    log_level: 'debug', auth_cache_seconds: CACHE_SECONDS,
  };
  await startGate();
  const root = path.join(dir, 'www');
  fs.mkdirSync(root, { recursive: true });
  const cacheDir = path.join(dir, 'auth-cache');
  let serverConf = adaptProtectConf(fs.readFileSync(CACHED_CONF, 'utf8'), { socket: latchkey.socket, port, root, upstreamPort: upstream.port });
  assert.match(serverConf, /fastcgi_cache_path \/var\/cache\/nginx\/latchkey /, 'the recipe names its cache path');
  serverConf = serverConf.replace('/var/cache/nginx/latchkey ', `${cacheDir} `);
  nginx = await runNginx({ dir, serverConf, port });
  started.push(nginx);
});

// Everything this file started, newest first; the first failure to stop is reported.
after(async () => {
  let firstError;
  while (started.length) {
    await started.pop().stop().catch((err) => { firstError ??= err; });
  }
  if (firstError) throw firstError;
});

const cookieFor = (who, extra = {}) => `latchkey=${mintCookie({ configFile: latchkey.configFile, sub: `sub-${who}`, email: `${who}@example.com`, name: who, ...extra })}`;

// A page behind the gate: what the application saw, plus the answer's Set-Cookie headers.
async function page(cookie, target = '/app/page') {
  const res = await fetch(`${nginx.url}${target}`, { headers: { cookie }, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, location: res.headers.get('location'), setCookies: res.headers.getSetCookie(), seen: res.status === 200 ? JSON.parse(body) : null };
}

// latchkey's own /auth answer, straight from its socket (nginx never forwards X-Accel-Expires).
async function rawAuth(socket, cookie) {
  const c = fastcgiRequest(socket);
  await c.sendBegin();
  await c.sendParams(cgiParams('/auth', { HTTP_COOKIE: cookie }));
  await c.finish();
  return c.response;
}

test('two users alternating never receive each other\'s identity', async () => {
  const alice = cookieFor('alice');
  const bob = cookieFor('bob');
  for (let i = 0; i < 20; i++) {
    for (const [who, cookie] of [['alice', alice], ['bob', bob]]) {
      const r = await page(cookie, `/app/page?i=${i % 3}`);
      assert.equal(r.status, 200, `${who} round ${i}`);
      assert.equal(r.seen.headers['x-auth-request-email'], `${who}@example.com`, `${who} round ${i}: the identity is theirs`);
      assert.equal(r.seen.headers['x-auth-request-user'], `sub-${who}`);
    }
  }
  // And a visitor without a cookie never gets a cached verdict.
  const none = await fetch(`${nginx.url}/app/page`, { redirect: 'manual' });
  assert.equal(none.status, 302);
});

test('with the cache on, a plain 200 says how long it may be kept, capped by the session', async () => {
  const r = await rawAuth(latchkey.socket, cookieFor('carol'));
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-accel-expires'], String(CACHE_SECONDS));
  const ending = await rawAuth(latchkey.socket, cookieFor('dave', { lifetime: 2 }));
  assert.equal(ending.status, 200);
  assert.ok(['1', '2'].includes(ending.headers['x-accel-expires']), `capped by the 2 s the session has left: ${ending.headers['x-accel-expires']}`);
});

test('a refreshed cookie is never cached: every answer with it carries the new cookie', async () => {
  const due = cookieFor('erin', { accessToken: 'at-erin', refreshToken: 'rt-erin', accessExpiresAt: Math.floor(Date.now() / 1000) - 10 });
  const raw = await rawAuth(latchkey.socket, due);
  assert.equal(raw.status, 200);
  assert.ok(raw.headers['set-cookie'], 'the refreshed session comes back');
  assert.equal(raw.headers['x-accel-expires'], undefined, 'an answer with a Set-Cookie is never marked cacheable');
  // Through the gate: the old cookie keeps getting the refreshed one (latchkey shares one
  // refresh for a while), never a cached answer without it.
  for (let i = 0; i < 3; i++) {
    const r = await page(due);
    assert.equal(r.status, 200);
    assert.ok(r.setCookies.some((c) => c.startsWith('latchkey=') && !/Max-Age=0/.test(c)), `round ${i}: ${r.setCookies}`);
  }
});

test('sign-out ends the browser\'s access at once, despite a cached decision', async () => {
  const client = new Client(nginx.url);
  client.jar.set(nginx.url, 'latchkey', cookieFor('frank').slice('latchkey='.length));
  assert.equal((await client.get('/app/page')).status, 200);
  assert.equal((await client.get('/app/page')).status, 200);
  const out = await client.post('/logout');
  assert.equal(out.status, 302);
  assert.equal(client.jar.get('latchkey'), undefined, 'the cookie is cleared');
  assert.equal((await client.get('/app/page')).status, 302, 'signed out at once');
});

test('a changed allow-list takes effect within auth_cache_seconds', async () => {
  const grace = cookieFor('grace');
  assert.equal((await page(grace)).status, 200);
  // The site owner takes grace off the list: latchkey restarts with the new configuration.
  await latchkey.stop();
  started.splice(started.indexOf(latchkey), 1);
  await startGate({ allowed_emails: 'someone-else@example.com' });
  const changedAt = Date.now();
  const statuses = [];
  const bound = CACHE_SECONDS * 1000 + NGINX_ROUNDING_MS + 200;
  while (Date.now() - changedAt < bound + 800) {
    const r = await page(grace);
    statuses.push({ at: Date.now() - changedAt, status: r.status, location: r.location });
    await sleep(100);
  }
  assert.equal(statuses[0].status, 200, 'right after the change the kept decision is still used: the cache works');
  const late = statuses.filter((x) => x.at > bound);
  // Refused: the gate sends the visitor to latchkey's refused-account page (a 302 to
  // /signed-out, which ends the session), never to a new sign-in.
  assert.ok(late.length > 0 && late.every((x) => x.status === 302 && x.location?.includes('/signed-out')), `refused after the cache time: ${JSON.stringify(statuses)}`);
  assert.ok(statuses.every((x) => x.status === 200 || x.status === 302), JSON.stringify(statuses));
});

test('with auth_cache_seconds off (the default) latchkey sends no caching header at all', async () => {
  const offDir = workDir('auth-cache-off');
  const { auth_cache_seconds: _unused, ...offConfig } = config;
  const off = await startLatchkey({ dir: offDir, config: { ...offConfig, allowed_emails: '' } });
  try {
    const r = await rawAuth(off.socket, cookieFor('heidi'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-accel-expires'], undefined);
    assert.equal(r.headers['cache-control'], 'no-store');
  } finally {
    await off.stop();
  }
});
