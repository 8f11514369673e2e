// The Redis session store through the real pieces: one redis-server (with a password), two
// latchkey instances behind two nginx on different ports sharing it. Sign-out on one ends the
// session on the other within a second; --revoke-user ends every session of a user on both;
// Redis stopping and coming back while /auth keeps being asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir } from './lib/paths.mjs';
import { freePorts } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret, sanitizerEnv } from './lib/latchkey.mjs';
import { startNginx } from './lib/nginx.mjs';
import { startRedis } from './lib/redis.mjs';
import { Client } from './lib/client.mjs';
import { signIn } from './lib/signin.mjs';
import { sleep } from './lib/process.mjs';

const GRACE = 3;  // session_store_grace for this file: short, so the outage test is quick
const started = [];
let redis, a, b, common, baseDir;

// One latchkey + nginx in its own directory; both share the provider, client and secret.
async function startInstance(dir, port, common) {
  fs.mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const latchkey = await startLatchkey({ dir, config: { ...common, redirect_uri: `${url}/login/authorized` } });
  started.push(latchkey);
  const nginx = await startNginx({ dir, latchkeySocket: latchkey.socket, port });
  started.push(nginx);
  return { url, latchkey, nginx, client: (jar) => new Client(url, jar ? { jar } : {}) };
}

before(async () => {
  const dir = workDir('store-redis');
  redis = await startRedis({ dir, password: 'p@ss word' });
  started.push(redis);
  const [portA, portB] = await freePorts(2);
  const provider = await startProvider({ dir, redirectUris: [`http://127.0.0.1:${portA}/login/authorized`] });
  started.push(provider);
  baseDir = dir;
  common = {
    issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    cookie_secret: newCookieSecret(), log_level: 'debug',
    session_store: redis.url(3), session_store_grace: GRACE,
  };
  a = await startInstance(path.join(dir, 'a'), portA, common);
  b = await startInstance(path.join(dir, 'b'), portB, common);
});
after(async () => {
  for (const part of started.reverse()) await part.stop().catch(() => {});
});

const diagnostics = () => `${a?.latchkey.tail(20)}\n${b?.latchkey.tail(20)}\n${redis?.tail(10)}`;
const t = (name, fn) => test(name, async () => {
  try { await fn(); } catch (err) { err.message += `\n${diagnostics()}`; throw err; }
});

// /auth straight from latchkey (nginx's /_latchkey/ test location) with this cookie value.
async function authStatus(instance, cookie) {
  const r = await instance.client().get('/_latchkey/auth', { headers: { cookie: `latchkey=${cookie}` } });
  return r.status;
}

// Polls until /auth answers `status`; returns the milliseconds it took.
async function untilAuth(instance, cookie, status, timeoutMs) {
  const start = Date.now();
  for (;;) {
    const got = await authStatus(instance, cookie);
    if (got === status) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`/auth on ${instance.url} still ${got}, not ${status}, after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function signedInCookie() {
  const client = a.client();
  await signIn(client, DEMO_ACCOUNT);
  return { client, cookie: client.jar.get('latchkey').value };
}

t('sign-out on one instance: the cookie copied before it is refused on the other within 1 s', async () => {
  const { client, cookie } = await signedInCookie();
  assert.equal(await authStatus(a, cookie), 200);
  assert.equal(await authStatus(b, cookie), 200, 'the other instance accepts the same cookie');
  const out = await client.post('/logout');
  assert.equal(out.status, 302);
  const signedOut = Date.now();
  assert.equal(await authStatus(a, cookie), 401, 'the instance that signed out refuses the copy at once');
  await untilAuth(b, cookie, 401, 1000);
  assert.ok(Date.now() - signedOut <= 1000, `refused on the other instance ${Date.now() - signedOut} ms after sign-out`);
  await b.latchkey.waitForLog((o) => o.event === 'cookie_refused' && o.reason === 'session_revoked');
  // Another session of the same user is untouched: sign-out ends this session only.
  const other = await signedInCookie();
  assert.equal(await authStatus(b, other.cookie), 200);
});

t('--revoke-user ends every session of the user on both instances, later sign-ins work', async () => {
  const first = await signedInCookie();
  const second = await signedInCookie();
  const run = spawnSync(a.latchkey.binary, ['--config', a.latchkey.configFile, '--revoke-user', DEMO_ACCOUNT.login.toUpperCase()],
    { encoding: 'utf8', env: { ...process.env, ...sanitizerEnv() }, timeout: 20000 });
  assert.equal(run.status, 0, `--revoke-user failed: ${run.stderr}`);
  assert.match(run.stdout, /revoked every session/);
  for (const instance of [a, b]) {
    for (const { cookie } of [first, second]) await untilAuth(instance, cookie, 401, 1500);
  }
  await sleep(1100);  // the mark voids sessions issued up to the second it was made
  const again = await signedInCookie();
  assert.equal(await authStatus(b, again.cookie), 200, 'a sign-in after the revocation is a new, valid session');
});

t('--revoke-user without a reachable store fails with a clear message', async () => {
  const conf = path.join(path.dirname(a.latchkey.configFile), 'unreachable.conf');
  const text = fs.readFileSync(a.latchkey.configFile, 'utf8').replace(/^session_store = .*$/m, 'session_store = redis://127.0.0.1:1/0');
  fs.writeFileSync(conf, text, { mode: 0o600 });
  const run = spawnSync(a.latchkey.binary, ['--config', conf, '--revoke-user', 'someone'],
    { encoding: 'utf8', env: { ...process.env, ...sanitizerEnv() }, timeout: 20000 });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /redis 127\.0\.0\.1:1/);
});

// Deployments sharing one Redis (and database) are kept apart by their key prefix: an
// instance with another ?prefix= does not see this deployment's revocations, even for a cookie
// it accepts (same client and secret here, so only the prefix differs).
t('another key prefix in the same Redis database does not see the revocations', async () => {
  const [port] = await freePorts(1);
  const other = await startInstance(path.join(baseDir, 'c'), port, { ...common, session_store: `${redis.url(3)}?prefix=elsewhere` });
  const { client, cookie } = await signedInCookie();
  assert.equal(await authStatus(other, cookie), 200);
  await client.post('/logout');
  await untilAuth(b, cookie, 401, 1000);
  await sleep(1100);  // more than two sync intervals of the other instance
  assert.equal(await authStatus(other, cookie), 200, 'the other prefix never saw the revocation');
});

// Fail open for session_store_grace seconds after the last good read of the store (the last
// copy of the revocations is used), then fail closed: 503, which nginx turns into a 500 rather than a sign-in loop. When
// Redis is back the next sync heals it, and what was revoked before is still revoked.
t('Redis stops and restarts while /auth keeps serving', async () => {
  const revoked = await signedInCookie();
  await revoked.client.post('/logout');
  const live = await signedInCookie();
  await untilAuth(b, revoked.cookie, 401, 1000);
  assert.equal(await authStatus(b, live.cookie), 200);
  // The grace runs from each instance's last good read of the store: read it on both now.
  assert.equal(await authStatus(a, live.cookie), 200);

  await redis.stop();
  const down = Date.now();
  assert.equal(await authStatus(b, live.cookie), 200, 'within the grace the last copy answers');
  assert.equal(await authStatus(b, revoked.cookie), 401, 'and still knows the revoked session');
  await sleep(1000);
  assert.equal(await authStatus(a, live.cookie), 200);
  await untilAuth(b, live.cookie, 503, (GRACE + 2) * 1000);
  assert.ok(Date.now() - down >= (GRACE - 1) * 1000, `fail-closed after ${Date.now() - down} ms, grace is ${GRACE} s`);
  const page = await b.client().get('/app/', { headers: { cookie: `latchkey=${live.cookie}` } });
  assert.equal(page.status, 500, 'nginx answers 500 for the protected page: no way in, no sign-in loop');
  assert.equal(await b.client().get('/healthz').then((r) => r.status), 200, 'latchkey itself stays up');
  await b.latchkey.waitForLog('store_unavailable');

  await redis.restart();
  await untilAuth(b, live.cookie, 200, 2000);
  await untilAuth(a, live.cookie, 200, 2000);
  assert.equal(await authStatus(b, revoked.cookie), 401, 'revocations survive the Redis restart (appendonly)');
});
