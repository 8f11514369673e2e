// A folder behind the sign-in with Apache + mod_fcgid and nothing else running: the latchkey
// that mod_fcgid starts (apache/latchkey-fcgid.conf) is also the folder's FastCGI access
// checker (apache/latchkey-fcgid-gate.conf, FcgidAccessChecker = the AUTHORIZER role), in a
// real Apache in front of an application that echoes the headers it gets. Signed out: sent to
// sign in and back with the whole query; signed in: the page with latchkey's identity;
// refused account: latchkey's 403 page.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, workDir, binaryForServers } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, OTHER_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { newCookieSecret, configText, sanitizerEnv, mintCookie } from './lib/latchkey.mjs';
import { Client } from './lib/client.mjs';
import { authorizeAtProvider } from './lib/signin.mjs';
import { startApache, apacheAvailable, isRoot, RUN_GROUP, gidOf } from './lib/apache.mjs';
import { startEchoUpstream } from './lib/gate.mjs';

const MODULES = ['fcgid', 'headers', 'proxy', 'proxy_http'];
const skip = apacheAvailable(MODULES) ? false : 'apache2 or one of its modules is not installed (make deps)';
const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/;
const FORGED = { 'x-auth-request-email': 'mallory@evil.example', 'x-auth-request-user': 'mallory' };

// The apache/ file with only what differs on a test machine; each substitution must apply.
function adapt(file, replacements) {
  let text = fs.readFileSync(path.join(REPO, 'apache', file), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`apache/${file} no longer contains ${JSON.stringify(from)}, which the test adapts`);
    text = text.split(from).join(to);
  }
  return text;
}

// Readable by Apache's children (nobody when the tests run as root), not by others.
function writeForServer(file, text, mode) {
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  if (isRoot) fs.chownSync(file, 0, gidOf(RUN_GROUP));
}

describe('Apache mod_fcgid gate (apache/latchkey-fcgid-gate.conf)', { skip }, () => {
  const started = [];
  let dir, url, provider, upstream, apache, configFile;

  before(async () => {
    dir = workDir('apache-fcgid-gate');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    provider = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
    started.push(provider);
    upstream = await startEchoUpstream();
    started.push(upstream);
    const bin = path.join(dir, 'cgi-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www/index.html'), '<!doctype html><p>public home</p>\n');
    configFile = path.join(dir, 'latchkey.conf');
    // Only example.com accounts: bob@example.org is an account latchkey no longer lets in.
    writeForServer(configFile, configText({
      issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uri: `${url}/login/authorized`, cookie_secret: newCookieSecret(),
      allowed_domains: 'example.com', log_level: 'debug',
    }), 0o640);
    writeForServer(path.join(bin, 'latchkey.fcgi'), `#!/bin/sh\nexec ${binaryForServers(dir)} --config ${configFile}\n`, 0o750);
    const cgiBin = [['/usr/lib/cgi-bin', bin]];
    apache = await startApache({
      dir, port, modules: MODULES,
      site: `DocumentRoot ${dir}/www\n<Directory ${dir}/www>\n    Require all granted\n</Directory>\nFcgidIPCDir ${dir}/run\nFcgidProcessTableFile ${dir}/run/fcgid_shm\n${
        Object.entries(sanitizerEnv()).map(([k, v]) => `FcgidInitialEnv ${k} "${v}"`).join('\n')}\n${
        adapt('latchkey-fcgid.conf', cgiBin)}\n${
        adapt('latchkey-fcgid-gate.conf', [...cgiBin,
          ['#ProxyPass "http://127.0.0.1:3000/private/"', `ProxyPass "http://127.0.0.1:${upstream.port}/private/"`]])}`,
    });
    started.push(apache);
  });

  after(async () => {
    for (const part of started.reverse()) await part.stop();
    const log = path.join(dir ?? '', 'logs/error.log');
    if (fs.existsSync(log)) {
      const bad = fs.readFileSync(log, 'utf8').split('\n').filter((l) => SANITIZER.test(l));
      assert.deepEqual(bad, [], `sanitizer report in ${log}`);
    }
  });

  const diag = (client) => `${client.describe()}\n--- error.log ---\n${apache.errorTail(25)}`;

  // Signed out: the application is not reached; the visitor goes to the provider, and after
  // sign-in lands on the very URL asked for, every query parameter included.
  test('signed out: sent to sign in, back on the page with the whole query', async () => {
    const client = new Client(url);
    const seen = upstream.requests.length;
    const first = await client.get('/private/x?a=1&b=2&c=x%26y', { headers: FORGED });
    assert.equal(first.status, 302, diag(client));
    assert.ok(first.location.startsWith(`${provider.issuer}/`), first.location);
    assert.equal(upstream.requests.length, seen, 'the application was not reached');
    for (const h of ['x-latchkey-continue', 'variable-remote_user', 'x-auth-request-email']) {
      assert.equal(first.header(h), null, `${h} does not reach the browser`);
    }
    const callback = await authorizeAtProvider(client, first.location, DEMO_ACCOUNT);
    const back = await client.get(callback);
    assert.equal(back.status, 302, diag(client));
    assert.equal(back.location, `${url}/private/x?a=1&b=2&c=x%26y`);

    // Signed in: the page, with latchkey's identity (never the forged one), and none of the
    // access checker's answer headers in the response.
    const page = await client.get(back.location, { headers: FORGED });
    assert.equal(page.status, 200, diag(client));
    const got = JSON.parse(page.body);
    assert.equal(got.headers['x-auth-request-email'], DEMO_ACCOUNT.login);
    assert.equal(got.headers['x-auth-request-user'], DEMO_ACCOUNT.sub);
    assert.equal(got.headers['x-auth-request-name'], DEMO_ACCOUNT.name);
    assert.ok(!got.rawHeaders.some((v) => /mallory/i.test(v)), JSON.stringify(got.rawHeaders));
    for (const h of ['x-auth-request-email', 'x-auth-request-user', 'variable-remote_user', 'variable-x_auth_request_email']) {
      assert.equal(page.header(h), null, `${h} does not reach the browser`);
    }
    assert.equal(page.header('cache-control'), 'private, no-store');
    assert.equal((await client.get('/index.html')).status, 200, 'the rest of the site is untouched');

    // Signed out again: the folder is closed.
    assert.equal((await client.post('/logout')).status, 302);
    const again = await client.get('/private/x');
    assert.equal(again.status, 302, diag(client));
    assert.ok(again.location.startsWith(provider.issuer));
  });

  // A session of an account no longer let in (not in allowed_domains): latchkey's 403 page,
  // which ends the session, never the application and never a new sign-in.
  test('refused account: 403 page, session ended, application not reached', async () => {
    const client = new Client(url);
    const cookie = mintCookie({ configFile, sub: OTHER_ACCOUNT.sub, email: OTHER_ACCOUNT.login, name: OTHER_ACCOUNT.name });
    const seen = upstream.requests.length;
    const r = await client.get('/private/x?a=1', { headers: { cookie: `latchkey=${cookie}` } });
    assert.equal(r.status, 403, diag(client));
    assert.equal(r.location, null, 'not a new sign-in');
    assert.match(r.body, /another account/i);
    assert.equal(r.header('x-latchkey-continue'), null, 'the checker\'s answer stays in Apache');
    const cleared = Client.setCookie(r, 'latchkey');
    assert.ok(cleared && (cleared.value === '' || /1970/.test(cleared.attrs.expires ?? '') || cleared.attrs['max-age'] === '0'), `the session cookie is cleared: ${JSON.stringify(r.setCookies)}`);
    assert.equal(upstream.requests.length, seen, 'the application was not reached');
  });

  // A forged or expired cookie counts as none: sign in.
  test('forged cookie: sent to sign in', async () => {
    const client = new Client(url);
    const r = await client.get('/private/x', { headers: { cookie: 'latchkey=v1.forged.cookie' } });
    assert.equal(r.status, 302, diag(client));
    assert.ok(r.location.startsWith(provider.issuer));
  });
});
