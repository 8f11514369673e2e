// One sign-in host for several sites, through the shipped nginx/central-app.conf: one nginx on
// 127.0.0.1 plays auth.example.com, app1.example.com and app2.example.com (names given in the
// Host header, as curl --resolve would; TLS left out), with latchkey configured with
// cookie_domain and allowed_redirect_domains, and the local OpenID provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workDir, REPO } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret } from './lib/latchkey.mjs';
import { adaptConf, runNginx, FASTCGI_PARAMS } from './lib/nginx.mjs';
import { stopAll } from './lib/process.mjs';
import { Client } from './lib/client.mjs';
import { authorizeAtProvider } from './lib/signin.mjs';

const AUTH = 'https://auth.example.com';
const APP1 = 'https://app1.example.com';
const APP2 = 'https://app2.example.com';
const started = [];
let nginx, latchkey;

before(async () => {
  const dir = workDir('central');
  const port = await freePort();
  const provider = await startProvider({ dir, redirectUris: [`${AUTH}/login/authorized`] });
  started.push(provider);
  latchkey = await startLatchkey({
    dir,
    config: {
      issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uri: `${AUTH}/login/authorized`, cookie_secret: newCookieSecret(), log_level: 'debug',
      cookie_domain: 'example.com', allowed_redirect_domains: 'app1.example.com app2.example.com',
    },
  });
  started.push(latchkey);
  for (const app of ['app1', 'app2']) {
    fs.mkdirSync(path.join(dir, 'www', app, 'private'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', app, 'private/page.html'), `<!doctype html><p>${app} private page</p>\n`);
  }
  const serverConf = adaptConf(fs.readFileSync(path.join(REPO, 'nginx/central-app.conf'), 'utf8'), [
    ['socket path', /unix:\/run\/latchkey\/latchkey\.sock/g, `unix:${latchkey.socket}`],
    ['TLS listen', /^(\s*)listen 443 ssl;.*$/gm, `$1listen 127.0.0.1:${port};`],
    ['certificate lines', /^\s*ssl_certificate(_key)?\s.*\n/gm, ''],
    ['fastcgi_params include', /include fastcgi_params;/g, `include ${FASTCGI_PARAMS};`],
    ['document roots', /root \/var\/www\/(app\d);/g, `root ${dir}/www/$1;`],
  ], 'nginx/central-app.conf');
  nginx = await runNginx({ dir, serverConf, port });
  started.push(nginx);
});

after(() => stopAll(started));

const browser = () => {
  const local = nginx.url;
  return new Client(AUTH, { resolve: { 'auth.example.com': local, 'app1.example.com': local, 'app2.example.com': local } });
};
const diagnostics = (client) => `${client.describe()}\n${latchkey.tail(20)}\n--- nginx ---\n${nginx.errorTail()}`;

// Signs in at the central host with rd; returns the callback's answer.
async function signInWith(client, rd) {
  const login = await client.get(`${AUTH}/login?rd=${rd}`);
  assert.equal(login.status, 302, diagnostics(client));
  return client.get(await authorizeAtProvider(client, login.location, DEMO_ACCOUNT));
}

// A signed-out visitor of app1 goes to the sign-in host and comes back to the very page, query
// and all; the session cookie is __Secure- with Domain, so app2 lets the visitor in without
// signing in again; signing out at the central host signs out everywhere.
test('sign in once at auth.example.com, back on app1 with the full address, signed in on app2 too', async () => {
  const client = browser();
  const first = await client.get(`${APP1}/private/page.html?a=1&b=2`);
  assert.equal(first.status, 302, diagnostics(client));
  assert.equal(first.location, `${AUTH}/login?rd=${APP1}/private/page.html?a=1&b=2`);
  const login = await client.get(first.location);
  assert.equal(login.status, 302, diagnostics(client));
  const back = await client.get(await authorizeAtProvider(client, login.location, DEMO_ACCOUNT));
  assert.equal(back.status, 302, diagnostics(client));
  assert.equal(back.location, `${APP1}/private/page.html?a=1&b=2`);
  const cookie = Client.setCookie(back, '__Secure-latchkey');
  assert.ok(cookie, `the session cookie is __Secure-latchkey: ${JSON.stringify(back.setCookies)}`);
  assert.equal(cookie.attrs.domain, 'example.com');
  assert.equal(cookie.attrs.secure, true);

  const page1 = await client.get(back.location);
  assert.equal(page1.status, 200, diagnostics(client));
  assert.match(page1.body, /app1 private page/);
  const page2 = await client.get(`${APP2}/private/page.html`);
  assert.equal(page2.status, 200, diagnostics(client));
  assert.match(page2.body, /app2 private page/);

  const out = await client.post(`${AUTH}/logout`);
  assert.equal(out.status, 302, diagnostics(client));
  assert.equal((await client.get(`${APP2}/private/page.html`)).status, 302, 'signed out on every site');
});

// Absolute addresses that are not a listed host over https land on the sign-in host's "/".
test('rd to an unlisted host, through userinfo, a look-alike or http: back to the sign-in host', async () => {
  const client = browser();
  for (const rd of [
    'https://evil.example.org/x',
    'https://app1.example.com@evil.example.org/x',
    'https://app1.example.com.evil.example.org/x',
    'https://evil.example.org%2F@app1.example.com/x',
    'http://app1.example.com/x',
    'https://app1.example.com:8443/x',
    '//evil.example.org/x',
  ]) {
    const back = await signInWith(client, encodeURIComponent(rd));
    assert.equal(back.status, 302, diagnostics(client));
    assert.equal(back.location, `${AUTH}/`, `rd=${rd}`);
  }
  const listed = await signInWith(client, `${APP2}/x?a=1&b=2`);
  assert.equal(listed.location, `${APP2}/x?a=1&b=2`, 'a listed host still works for the same visitor');
});
