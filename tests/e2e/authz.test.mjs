// Authorization through the shipped nginx/protect.conf: groups from the local OpenID
// provider, site-wide rules, per-location rules on auth_request URIs, the identity headers
// the upstream sees, a person in 500 groups, and API clients with bearer JWTs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, OTHER_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret, configText, sanitizerEnv } from './lib/latchkey.mjs';
import { workDir, latchkeyBinary } from './lib/paths.mjs';
import { spawnSync } from 'node:child_process';
import { Client } from './lib/client.mjs';
import { signIn, beginSignIn, authorizeAtProvider, finishSignIn } from './lib/signin.mjs';
import { adaptProtectConf, PROTECT_CONF, startEchoUpstream } from './lib/gate.mjs';
import { runNginx } from './lib/nginx.mjs';

const CROWD = { login: 'crowd@example.com', password: 'crowd' };
const MALLORY = { login: 'mallory@example.com', password: 'mallory' };
const started = [];
let nginx, upstream, latchkey, provider, crowdLastGroup;

// Locations a site owner would add next to the shipped /admin/ one: a claim rule, e-mail
// and domain rules, and a rule with a syntax error.
const EXTRA_LOCATIONS = `
    location = /auth-engineering { internal; rewrite ^ /auth?require_claim=department:engineering last; }
    location /eng/ { auth_request /auth-engineering; root ROOT; }
    location = /auth-bob { internal; rewrite ^ /auth?allowed_emails=bob@example.org&allowed_domains=example.net last; }
    location /bob/ { auth_request /auth-bob; root ROOT; }
    location = /auth-broken { internal; rewrite ^ /auth?allowed_groups=admins,,ops last; }
    location /broken/ { auth_request /auth-broken; root ROOT; }
`;

before(async () => {
  const dir = workDir('authz');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  provider = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
  started.push(provider);
  const { CROWD_GROUPS } = await import('../provider/dev-provider-groups.mjs');
  crowdLastGroup = CROWD_GROUPS.at(-1);
  latchkey = await startLatchkey({
    dir,
    config: {
      issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uri: `${url}/login/authorized`, cookie_secret: newCookieSecret(), log_level: 'debug',
      scopes: 'openid email profile groups',
      // Site-wide: staff, or the crowd account's last group.
      allowed_groups: `staff ${crowdLastGroup}`,
      pass_access_token: 'true',
      bearer_tokens: 'true',
      bearer_audiences: 'reports-api',
    },
  });
  started.push(latchkey);
  upstream = await startEchoUpstream({ maxHeaderSize: 64 * 1024 });
  started.push(upstream);
  const root = path.join(dir, 'www');
  for (const folder of ['admin', 'eng', 'bob', 'broken', 'private']) {
    fs.mkdirSync(path.join(root, folder), { recursive: true });
    fs.writeFileSync(path.join(root, folder, 'index.html'), `<p>${folder} page</p>\n`);
  }
  const socket = latchkey.socket;
  let serverConf = adaptProtectConf(fs.readFileSync(PROTECT_CONF, 'utf8'), { socket, port, root, upstreamPort: upstream.port });
  const lastBrace = serverConf.lastIndexOf('}');
  serverConf = serverConf.slice(0, lastBrace) + EXTRA_LOCATIONS.replaceAll('ROOT', root) + serverConf.slice(lastBrace);
  nginx = await runNginx({ dir, serverConf, port });
  started.push(nginx);
});

after(async () => {
  const errors = [];
  for (const part of started.reverse()) {
    try { await part.stop(); } catch (err) { errors.push(err); }
  }
  if (errors.length) throw errors[0];
});

const diagnostics = (client) => `${client?.describe() ?? ''}\n${latchkey.tail(30)}\n--- nginx ---\n${nginx.errorTail()}`;

async function signedIn(account) {
  const client = new Client(nginx.url);
  await signIn(client, account);
  return client;
}

// alice (staff, admins, engineering) sees /admin/ and /eng/; the upstream gets her groups,
// preferred username and access token from latchkey, never the copies a visitor sends.
test('groups and claims reach the upstream; forged copies do not', async () => {
  const client = await signedIn(DEMO_ACCOUNT);
  const forged = {
    'x-auth-request-groups': 'admins,root', 'x-auth-request-preferred-username': 'root',
    'x-auth-request-access-token': 'forged-token', 'x-auth-request-denied': 'x',
  };
  const r = await client.get('/app/whoami', { headers: forged });
  assert.equal(r.status, 200, diagnostics(client));
  const seen = JSON.parse(r.body).headers;
  assert.equal(seen['x-auth-request-groups'], 'admins,staff');
  assert.equal(seen['x-auth-request-preferred-username'], 'alice');
  assert.equal(seen['x-auth-request-email'], DEMO_ACCOUNT.login);
  assert.ok(seen['x-auth-request-access-token'] && seen['x-auth-request-access-token'] !== 'forged-token');
  assert.equal(seen['x-auth-request-denied'], 'x', 'an unrelated header passes through unchanged');
  assert.equal((await client.get('/admin/')).status, 200, diagnostics(client));
  assert.equal((await client.get('/eng/')).status, 200, diagnostics(client));
});

// bob (staff, sales) is signed in but not an admin: a readable 403 naming the rule, and no
// redirect to sign in again (which would loop).
test('a location asking for a group the user lacks: 403 page, never a sign-in loop', async () => {
  const client = await signedIn(OTHER_ACCOUNT);
  assert.equal((await client.get('/private/')).status, 200, diagnostics(client));
  const admin = await client.get('/admin/');
  assert.equal(admin.status, 403, diagnostics(client));
  assert.equal(admin.location, null);
  assert.match(admin.header('content-type'), /text\/plain/);
  assert.match(admin.body, /allowed_groups: you are not in any of the groups admins; ask the site owner/);
  const eng = await client.get('/eng/');
  assert.equal(eng.status, 403);
  assert.match(eng.body, /require_claim: your account's department is not engineering/);
  // allowed_emails OR allowed_domains: bob's address is listed.
  assert.equal((await client.get('/bob/')).status, 200, diagnostics(client));
  const alice = await signedIn(DEMO_ACCOUNT);
  assert.equal((await alice.get('/bob/')).status, 403);
  await latchkey.waitForLog((o) => o.event === 'access_denied' && o.location === '/admin/' && o.rule === 'allowed_groups');
});

// A rule latchkey cannot read is a 500 with a log line naming the location, for everybody.
test('a malformed per-location rule: 500 and a log line naming the location', async () => {
  const client = await signedIn(DEMO_ACCOUNT);
  const r = await client.get('/broken/');
  assert.equal(r.status, 500, diagnostics(client));
  const line = await latchkey.waitForLog((o) => o.event === 'auth_rule_invalid');
  assert.equal(line.location, '/broken/');
  assert.match(line.detail, /allowed_groups has an empty item/);
});

// Site-wide allowed_groups: mallory is in no group, so the sign-in itself ends on a 403
// page that names the rule and what to ask for, with no session.
test('site-wide allowed_groups refuses the sign-in with a page naming the rule', async () => {
  const client = new Client(nginx.url);
  const callback = await authorizeAtProvider(client, await beginSignIn(client), MALLORY);
  const r = await finishSignIn(client, callback);
  assert.equal(r.status, 403, diagnostics(client));
  assert.match(r.body, /allowed_groups/);
  assert.match(r.body, /ask the site owner/);
  assert.equal(client.jar.get('latchkey'), undefined);
});

// 500 groups of 40 characters: the session still fits (the groups in latchkey.1.. cookies,
// each under 4 KB), the site rule matching the last group passes, and the upstream gets all.
// node's fetch refuses answers with more than 16 KB of headers (browsers take 256 KB):
// the callback that sets the group cookies is fetched with node:http and a larger limit.
function getWithLargeHeaders(client, url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { cookie: client.jar.header(url) }, maxHeaderSize: 64 * 1024 }, (res) => {
      res.resume();
      res.on('end', () => {
        const setCookies = [].concat(res.headers['set-cookie'] ?? []);
        client.jar.store(url, setCookies);
        resolve({ status: res.statusCode, setCookies });
      });
    });
    req.on('error', reject);
  });
}

test('a user in 500 groups of 40 characters signs in and passes', async () => {
  const client = new Client(nginx.url);
  const callback = await authorizeAtProvider(client, await beginSignIn(client), CROWD);
  const response = await getWithLargeHeaders(client, callback);
  assert.equal(response.status, 302, diagnostics(client));
  const parts = response.setCookies.filter((c) => /^latchkey\.\d=/.test(c));
  assert.ok(parts.length >= 2, `groups split over several cookies: ${parts.length}`);
  for (const c of response.setCookies) assert.ok(c.length < 4096, `cookie under 4 KB (${c.length})`);
  const total = response.setCookies.filter((c) => /^latchkey(\.\d)?=/.test(c)).reduce((n, c) => n + c.split(';')[0].length, 0);
  console.log(`500 groups x 40 chars: ${parts.length} group cookies, ${total} bytes of cookies in all`);
  const r = await client.get('/app/crowd');
  assert.equal(r.status, 200, diagnostics(client));
  const groups = JSON.parse(r.body).headers['x-auth-request-groups'].split(',');
  assert.equal(groups.length, 500);
  assert.ok(groups.includes(crowdLastGroup));
  assert.equal((await client.get('/admin/')).status, 403);
  // Signing out clears the group cookies too.
  const out = await client.post('/logout');
  assert.equal(out.status, 302);
  assert.equal(out.setCookies.filter((c) => /^latchkey\.\d=;/.test(c)).length, parts.length, JSON.stringify(out.setCookies));
});

// --- Bearer tokens ------------------------------------------------------------------------

const now = () => Math.floor(Date.now() / 1000);
async function signed(payload, header = {}) {
  const res = await fetch(`${provider.issuer}/test/sign`, { method: 'POST', body: JSON.stringify({ header, payload }) });
  assert.equal(res.status, 200);
  return res.text();
}
const claims = (extra = {}) => ({
  iss: provider.issuer, aud: CLIENT_ID, sub: 'svc-reports', iat: now(), exp: now() + 300,
  email: 'reports@example.com', email_verified: true, groups: ['staff'], ...extra,
});
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function api(token) {
  return new Client(nginx.url).get('/api/report', { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

// An API location without credentials: 401 with WWW-Authenticate: Bearer and a JSON body,
// not a redirect to the sign-in page.
test('api: no credentials is 401 JSON with WWW-Authenticate: Bearer', async () => {
  const r = await api(null);
  assert.equal(r.status, 401);
  assert.equal(r.location, null);
  assert.match(r.header('www-authenticate'), /^Bearer /);
  assert.equal(JSON.parse(r.body).error, 'unauthorized');
});

// A valid token passes, as client_id or as one of bearer_audiences, and the upstream sees
// its identity; the second call is answered from the cache.
test('api: a valid bearer token passes', async () => {
  const token = await signed(claims());
  for (let i = 0; i < 2; i++) {
    const r = await api(token);
    assert.equal(r.status, 200, diagnostics());
    const seen = JSON.parse(r.body).headers;
    assert.equal(seen['x-auth-request-user'], 'svc-reports');
    assert.equal(seen['x-auth-request-groups'], 'staff');
    assert.equal(seen.authorization, undefined, 'the token is not passed on');
  }
  assert.equal((await api(await signed(claims({ aud: ['reports-api'] })))).status, 200);
});

// Each broken token is refused with 401 (and the site-wide group rule still applies: 403).
test('api: wrong aud, wrong iss, expired, alg none, HS256 with the public key, unknown kid, other client', async () => {
  const jwks = await (await fetch(`${provider.issuer}/jwks`)).json();
  const publicPem = crypto.createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const valid = claims();
  const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: jwks.keys[0].kid })}.${b64(valid)}`;
  const cases = {
    'wrong aud': await signed(claims({ aud: 'someone-else' })),
    'wrong iss': await signed(claims({ iss: `${provider.issuer}/other` })),
    expired: await signed(claims({ iat: now() - 7200, exp: now() - 3600 })),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid)}.`,
    'HS256 with the public key': `${hsInput}.${crypto.createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
    'unknown kid': await signed(valid, { kid: 'no-such-key' }),
    'token for another client': await signed(claims({ aud: 'other-client', azp: 'other-client' })),
    garbage: 'not.a.jwt',
  };
  for (const [name, token] of Object.entries(cases)) {
    const r = await api(token);
    assert.equal(r.status, 401, `${name}: ${r.status} ${r.body}`);
    assert.match(r.header('www-authenticate') ?? '', /^Bearer /, name);
  }
  const outsider = await api(await signed(claims({ groups: ['visitors'] })));
  assert.equal(outsider.status, 403);
  assert.equal(JSON.parse(outsider.body).error, 'forbidden');
  assert.match(JSON.parse(outsider.body).error_description, /allowed_groups/);
});

// No rule at all: --check and the start-up log say that any account at the provider gets in;
// with a rule (this file's latchkey) nothing is said.
test('no silent open door: --check and start-up warn when no rule restricts sign-in', async () => {
  const dir = workDir('authz-open-door');
  const config = path.join(dir, 'open.conf');
  fs.writeFileSync(config, configText({
    issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    redirect_uri: 'http://127.0.0.1:9/login/authorized', cookie_secret: newCookieSecret(),
  }), { mode: 0o600 });
  const check = spawnSync(latchkeyBinary(), ['--config', config, '--check'], { encoding: 'utf8', env: { ...process.env, ...sanitizerEnv() } });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /warning: no rule restricts who may sign in: any account at the provider gets in/);
  const open = await startLatchkey({ dir, config: { issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: 'http://127.0.0.1:9/login/authorized', cookie_secret: newCookieSecret() } });
  try {
    const line = await open.waitForLog('open_door');
    assert.equal(line.level, 'warn');
  } finally {
    await open.stop();
  }
  assert.ok(!latchkey.logs().some((o) => o.event === 'open_door'));
});
