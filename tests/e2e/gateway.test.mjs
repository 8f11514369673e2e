// latchkey as an nginx auth_request gate, end to end, with the shipped nginx/protect.conf: a
// protected static folder and a protected application (an upstream that echoes the headers it
// got), the local OpenID provider, a scripted sign-in through its forms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret } from './lib/latchkey.mjs';
import { stopAll } from './lib/process.mjs';
import { Client, followRedirects } from './lib/client.mjs';
import { signIn, authorizeAtProvider, finishSignIn } from './lib/signin.mjs';
import { startGateNginx, startEchoUpstream } from './lib/gate.mjs';

const started = [];
let nginx, upstream, latchkey, latchkeyDir, latchkeyConfig, provider;
const PAGE = '/private/report.html';
const PAGE_TEXT = 'quarterly report, staff only';

before(async () => {
  const dir = workDir('gateway');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  provider = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
  started.push(provider);
  latchkeyDir = dir;
  latchkeyConfig = {
    issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    redirect_uri: `${url}/login/authorized`, cookie_secret: newCookieSecret(), log_level: 'debug',
  };
  latchkey = await startLatchkey({ dir, config: latchkeyConfig });
  started.push(latchkey);
  upstream = await startEchoUpstream();
  started.push(upstream);
  const root = path.join(dir, 'www');
  fs.mkdirSync(path.join(root, 'private'), { recursive: true });
  fs.writeFileSync(path.join(root, PAGE), `<!doctype html><p>${PAGE_TEXT}</p>\n`);
  nginx = await startGateNginx({ dir, socket: latchkey.socket, root, upstreamPort: upstream.port, port });
  started.push(nginx);
});

after(() => stopAll(started));

const diagnostics = (client) => `${client?.describe() ?? ''}\n${latchkey.tail(30)}\n--- nginx ---\n${nginx.errorTail()}`;
const FORGED = { 'x-auth-request-email': 'mallory@evil.example', 'x-auth-request-user': 'mallory', 'x-auth-request-name': 'Mallory' };

const atProvider = (location) => location?.startsWith(`${provider.issuer}/`);

// Signed out, a protected file and a protected application both start the sign-in inside nginx:
// a 302 straight to the provider with a login cookie, and the application never sees the request.
test('signed out: 302 straight to the provider, upstream not reached', async () => {
  const client = new Client(nginx.url);
  const r = await client.get(PAGE);
  assert.equal(r.status, 302, diagnostics(client));
  assert.ok(atProvider(r.location), `Location ${r.location} is the provider's authorization endpoint`);
  assert.ok(r.setCookies.some((c) => c.startsWith('latchkey-login-')), 'the login cookie comes with it');
  assert.ok(!r.body.includes(PAGE_TEXT));

  const before_ = upstream.requests.length;
  const a = await client.get('/app/dashboard?tab=1', { headers: FORGED });
  assert.equal(a.status, 302, diagnostics(client));
  assert.ok(atProvider(a.location), diagnostics(client));
  assert.equal(upstream.requests.length, before_, 'a forged identity header does not get a signed-out request through');
});

// Redirects a visitor follows from url until the provider's authorization endpoint.
async function hopsToProvider(client, url) {
  let r = await client.get(url);
  for (let hops = 1; hops <= 5; hops++) {
    assert.equal(r.status, 302, diagnostics(client));
    if (atProvider(r.location)) return { hops, authorizeUrl: r.location };
    r = await client.get(r.location);
  }
  throw new Error(`never reached the provider\n${diagnostics(client)}`);
}

// The 401 hands nginx's $request_uri to latchkey as LATCHKEY_RETURN_URI: every parameter comes
// back, and the visitor reaches the provider in one redirect instead of two (page -> /login?rd=
// -> provider). /login?rd= still works, with the whole query after rd= as the address.
test('signed out with several query parameters: one redirect to the provider, back with all of them', async () => {
  const client = new Client(nginx.url);
  const started = await hopsToProvider(client, `${PAGE}?a=1&b=2&c=%26d`);
  assert.equal(started.hops, 1, 'page -> provider, no /login?rd= round trip');
  const back = await client.get(await authorizeAtProvider(client, started.authorizeUrl, DEMO_ACCOUNT));
  assert.equal(back.status, 302, diagnostics(client));
  assert.equal(back.location, `${nginx.url}${PAGE}?a=1&b=2&c=%26d`);

  const viaRd = new Client(nginx.url);
  const old = await hopsToProvider(viaRd, `/login?rd=${PAGE}?a=1&b=2`);
  assert.equal(old.hops, 1, '/login?rd= itself is one redirect, after the page\'s own');
  const backRd = await viaRd.get(await authorizeAtProvider(viaRd, old.authorizeUrl, DEMO_ACCOUNT));
  assert.equal(backRd.location, `${nginx.url}${PAGE}?a=1&b=2`);
});

// The return URI is nginx's to set: a visitor's Latchkey-Return-Uri header (HTTP_LATCHKEY_...
// to latchkey) neither changes where the 401 path lands nor overrides rd on /login.
test('a Latchkey-Return-Uri request header is never the return address', async () => {
  const header = { 'latchkey-return-uri': '/app/elsewhere' };
  const client = new Client(nginx.url);
  const first = await client.get(`${PAGE}?x=1`, { headers: header });
  const back = await client.get(await authorizeAtProvider(client, first.location, DEMO_ACCOUNT));
  assert.equal(back.location, `${nginx.url}${PAGE}?x=1`, diagnostics(client));

  const direct = new Client(nginx.url);
  const login = await direct.get(`/login?rd=${PAGE}`, { headers: header });
  const backDirect = await direct.get(await authorizeAtProvider(direct, login.location, DEMO_ACCOUNT));
  assert.equal(backDirect.location, `${nginx.url}${PAGE}`, diagnostics(direct));
});

// /auth is internal to nginx: nobody outside can ask it directly.
test('/auth is not reachable from outside', async () => {
  assert.equal((await new Client(nginx.url).get('/auth')).status, 404);
});

// The whole visit: protected page → sign in at the provider → back on that page; the upstream
// sees the user and e-mail from latchkey, never the ones a client sends; logout closes it again.
test('sign in through the gate, identity reaches the upstream, forged headers do not, logout', async () => {
  const client = new Client(nginx.url);
  const first = await client.get(PAGE);
  assert.equal(first.status, 302, diagnostics(client));
  assert.ok(atProvider(first.location), diagnostics(client));

  const response = await finishSignIn(client, await authorizeAtProvider(client, first.location, DEMO_ACCOUNT));
  assert.ok(client.jar.get('latchkey'), `signed in\n${diagnostics(client)}`);
  assert.equal(response.location, `${nginx.url}${PAGE}`, 'lands back on the page first asked for');
  const page = await followRedirects(client, response);
  assert.equal(page.status, 200, diagnostics(client));
  assert.ok(page.body.includes(PAGE_TEXT));

  const app = await client.get('/app/whoami');
  assert.equal(app.status, 200, diagnostics(client));
  const seen = JSON.parse(app.body);
  assert.equal(seen.url, '/app/whoami');
  assert.equal(seen.headers['x-auth-request-user'], DEMO_ACCOUNT.sub);
  assert.equal(seen.headers['x-auth-request-email'], DEMO_ACCOUNT.login);
  assert.equal(seen.headers['x-auth-request-name'], DEMO_ACCOUNT.name);

  const forged = await client.get('/app/whoami', { headers: { ...FORGED, 'x-auth-request_email': 'mallory@evil.example' } });
  assert.equal(forged.status, 200);
  const f = JSON.parse(forged.body);
  assert.equal(f.headers['x-auth-request-email'], DEMO_ACCOUNT.login, 'the upstream sees latchkey\'s e-mail, not the client\'s');
  assert.equal(f.headers['x-auth-request-user'], DEMO_ACCOUNT.sub);
  assert.equal(f.headers['x-auth-request-name'], DEMO_ACCOUNT.name);
  const names = f.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
  assert.equal(names.filter((h) => h === 'x-auth-request-email').length, 1, 'exactly one e-mail header');
  assert.ok(!f.rawHeaders.some((v) => /mallory/i.test(v)), `nothing forged reaches the upstream: ${JSON.stringify(f.rawHeaders)}`);

  // Any method goes through the gate (auth_request answers for POST too; the body stays with
  // the real request).
  const post = await client.post('/app/form', { form: { a: '1' } });
  assert.equal(post.status, 200, diagnostics(client));
  assert.equal(JSON.parse(post.body).headers['x-auth-request-email'], DEMO_ACCOUNT.login);

  const out = await client.post('/logout');
  assert.equal(out.status, 302, diagnostics(client));
  // Just signed out: the gate shows latchkey's never-protected "You have signed out" page
  // instead of a sign-in the provider would complete at once; its link still leads back.
  const again = await client.get(PAGE);
  assert.equal(again.status, 302, `signed out again\n${diagnostics(client)}`);
  assert.equal(again.location, `${nginx.url}/signed-out?rd=${PAGE}`);
  const landing = await client.get(again.location);
  assert.equal(landing.status, 200, diagnostics(client));
  assert.match(landing.body, /<h1>You have signed out<\/h1>/);
  assert.match(landing.body, /href="\/login\?rd=%2Fprivate%2Freport\.html"/);
  const appAgain = await client.get('/app/whoami');
  assert.equal(appAgain.status, 302);
  assert.equal(upstream.requests.at(-1)?.url, '/app/form', 'the upstream is not reached after sign-out');
});

// A cookie that is not latchkey's (tampered) counts as none: the gate stays closed.
test('a tampered session cookie does not open the gate', async () => {
  const client = new Client(nginx.url);
  client.jar.set(nginx.url, 'latchkey', 'eyJzdWIiOiJtYWxsb3J5In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const r = await client.get('/app/whoami');
  assert.equal(r.status, 302, diagnostics(client));
});

// A session that is still valid but whose e-mail is no longer allowed (allowed_emails changed
// and latchkey restarted, same cookie secret): the gate answers 403, not a sign-in loop, and
// the upstream is not reached.
test('valid session, e-mail no longer allowed: latchkey\'s 403 page ends the session', async () => {
  const client = new Client(nginx.url);
  await signIn(client, DEMO_ACCOUNT, { rd: '/app/whoami' });
  assert.equal((await client.get('/app/whoami')).status, 200, diagnostics(client));

  await latchkey.stop();
  started.splice(started.indexOf(latchkey), 1);
  latchkey = await startLatchkey({ dir: latchkeyDir, config: { ...latchkeyConfig, allowed_emails: 'someone-else@example.com' } });
  started.splice(1, 0, latchkey);

  const before_ = upstream.requests.length;
  const r = await client.get('/app/whoami');
  assert.equal(r.status, 302, diagnostics(client));
  assert.equal(r.location, `${nginx.url}/signed-out?rd=/app/whoami`);
  const page = await client.get(r.location);
  assert.equal(page.status, 403, diagnostics(client));
  assert.match(page.body, /This account is not allowed in/);
  assert.match(page.body, /href="\/login\?prompt=select_account&amp;rd=%2Fapp%2Fwhoami">Use another account/);
  assert.ok(!page.body.includes(PAGE_TEXT));
  assert.match(page.header('set-cookie') ?? '', /latchkey=; Path=\/; Max-Age=0/, 'the session is ended');
  assert.ok(atProvider((await client.get(PAGE)).location), 'no session left: straight to sign-in at the provider');
  assert.equal(upstream.requests.length, before_, 'the upstream is not reached');
});
