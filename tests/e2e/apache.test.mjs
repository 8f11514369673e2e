// latchkey behind a real Apache httpd (its own ServerRoot, 127.0.0.1, free ports), with the
// shipped apache/ recipes: mod_proxy_fcgi to a running latchkey, mod_fcgid starting latchkey
// itself, plain CGI with .htaccess (shared hosting) including a folder protected through
// apache/latchkey-gate.cgi, and mod_authnz_fcgi as a gate in front of an application. Sign-in end to end against the local provider each time; the
// answers are the ones latchkey gives behind nginx.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, workDir, latchkeyBinary, binaryForServers } from './lib/paths.mjs';
import { freePort, waitForConnect } from './lib/ports.mjs';
import { Managed } from './lib/process.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret, configText, sanitizerEnv } from './lib/latchkey.mjs';
import { Client, followRedirects } from './lib/client.mjs';
import { signIn } from './lib/signin.mjs';
import { startApache, apacheAvailable, isRoot, RUN_GROUP, gidOf } from './lib/apache.mjs';
import { startEchoUpstream } from './lib/gate.mjs';
import { errorPagesIn } from './lib/nginx.mjs';

const MODULES = ['proxy', 'proxy_fcgi', 'proxy_http', 'rewrite', 'cgid', 'fcgid', 'authnz_fcgi', 'headers', 'authn_core', 'authz_user'];
const skip = apacheAvailable(MODULES) ? false : 'apache2 or one of its modules is not installed (make deps)';
const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/;
const PAGE = '/private/report.html';
const PAGE_TEXT = 'quarterly report, staff only';

const started = [];
let dir, provider, ports, cookieSecret, upstream, tcpLatchkey;
let serverBinary;  // the copy Apache's children execute (CGI, mod_fcgid)
const urls = {};

// The apache/ file with only what differs on a test machine; each substitution must apply.
function adapt(file, replacements) {
  let text = fs.readFileSync(path.join(REPO, 'apache', file), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`apache/${file} no longer contains ${JSON.stringify(from)}, which the test adapts`);
    text = text.split(from).join(to);
  }
  return text;
}

// The shipped /admin/ block copied for /ops/ with a rule alice does not meet.
function withOpsLocation(text) {
  const block = text.slice(text.indexOf('<Location "/admin/">'), text.lastIndexOf('</Location>') + '</Location>'.length);
  if (!block.includes('allowed_groups=admins')) throw new Error('apache/latchkey-authnz-fcgi.conf has no /admin/ rules block');
  return `${text}\n${block.replaceAll('/admin/', '/ops/').replace('allowed_groups=admins', 'allowed_groups=ops')}\n`;
}

// A file the web server's user (nobody, when the tests run as root) may read but not others.
function writeForServer(file, text, mode) {
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  if (isRoot) fs.chownSync(file, 0, gidOf(RUN_GROUP));
}

function latchkeyConfig(url) {
  return {
    issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    redirect_uri: `${url}/login/authorized`, cookie_secret: cookieSecret, log_level: 'debug',
  };
}

// The shared-hosting layout of apache/htaccess-cgi and htaccess-protect-folder in root.
function sharedHostingSite(root, url) {
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(root, 'latchkey'), { recursive: true });
  fs.mkdirSync(path.join(root, 'private'), { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const config = path.join(home, 'latchkey.conf');
  writeForServer(config, configText(latchkeyConfig(url)), 0o640);
  const paths = [['/home/USER/latchkey/latchkey.conf', config], ['/home/USER/latchkey/latchkey', serverBinary]];
  writeForServer(path.join(root, 'latchkey/latchkey.cgi'), adapt('latchkey.cgi', paths), 0o750);
  writeForServer(path.join(root, 'latchkey/latchkey-gate.cgi'),
    adapt('latchkey-gate.cgi', [...paths, ['/home/USER/public_html/private', path.join(root, 'private')]]), 0o750);
  // The program itself straight from .htaccess (no wrapper), for the test of CGI detection.
  writeForServer(path.join(root, 'latchkey/direct.cgi'),
    `#!/bin/sh\nLATCHKEY_CONFIG=${config}\nexport LATCHKEY_CONFIG\nexec ${serverBinary}\n`, 0o750);
  fs.writeFileSync(path.join(root, 'latchkey/.htaccess'), 'Options +ExecCGI\nAddHandler cgi-script .cgi\n');
  // Test only, first: /healthz?direct runs the program without the wrapper.
  fs.writeFileSync(path.join(root, '.htaccess'),
    `RewriteEngine On\nRewriteCond %{QUERY_STRING} ^direct$\nRewriteRule ^healthz$ latchkey/direct.cgi [L]\n${adapt('htaccess-cgi', [])}`);
  fs.writeFileSync(path.join(root, 'private/.htaccess'), adapt('htaccess-protect-folder', []));
  fs.writeFileSync(path.join(root, PAGE), `<!doctype html><p>${PAGE_TEXT}</p>\n`);
  fs.mkdirSync(path.join(root, 'private/sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'private/sub/index.html'), '<!doctype html><p>sub index</p>\n');
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><p>public home</p>\n');
}

before(async () => {
  if (skip) return;
  dir = workDir('apache');
  serverBinary = binaryForServers(dir);
  ports = { proxy: await freePort(), cgi: await freePort(), fcgid: await freePort(), authnz: await freePort() };
  for (const [k, p] of Object.entries(ports)) urls[k] = `http://127.0.0.1:${p}`;
  provider = await startProvider({ dir, redirectUris: Object.values(urls).map((u) => `${u}/login/authorized`) });
  started.push(provider);
  cookieSecret = newCookieSecret();

  // (a) mod_proxy_fcgi → latchkey's unix socket. As root, Apache's children are nobody: the
  // socket gets their group, as --socket-group www-data would on Debian.
  const lkDir = path.join(dir, 'latchkey-fcgi');
  fs.mkdirSync(lkDir);
  fs.chmodSync(lkDir, 0o755);
  const latchkey = await startLatchkey({
    dir: lkDir, config: latchkeyConfig(urls.proxy), args: isRoot ? ['--socket-group', RUN_GROUP] : [],
  });
  started.push(latchkey);
  const proxyDir = path.join(dir, 'httpd-proxy');
  fs.mkdirSync(path.join(proxyDir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(proxyDir, 'www/index.html'), '<!doctype html><p>public home</p>\n');
  started.push(await startApache({
    dir: proxyDir, port: ports.proxy, modules: ['proxy', 'proxy_fcgi'],
    site: `DocumentRoot ${proxyDir}/www\n<Directory ${proxyDir}/www>\n    Require all granted\n</Directory>\n${
      adapt('latchkey-proxy-fcgi.conf', [['/run/latchkey/latchkey.sock', latchkey.socket],
        ['/usr/share/latchkey/error-pages', errorPagesIn(dir)]])}`,
  }));

  // (b) mod_fcgid starting latchkey through the wrapper of apache/latchkey-fcgid.conf.
  const fcgidDir = path.join(dir, 'httpd-fcgid');
  const fcgidBin = path.join(fcgidDir, 'cgi-bin');
  fs.mkdirSync(fcgidBin, { recursive: true });
  fs.mkdirSync(path.join(fcgidDir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(fcgidDir, 'www/index.html'), '<!doctype html><p>public home</p>\n');
  const fcgidConfig = path.join(fcgidDir, 'latchkey.conf');
  writeForServer(fcgidConfig, configText(latchkeyConfig(urls.fcgid)), 0o640);
  writeForServer(path.join(fcgidBin, 'latchkey.fcgi'), `#!/bin/sh\nexec ${serverBinary} --config ${fcgidConfig}\n`, 0o750);
  started.push(await startApache({
    dir: fcgidDir, port: ports.fcgid, modules: ['fcgid'],
    site: `DocumentRoot ${fcgidDir}/www\n<Directory ${fcgidDir}/www>\n    Require all granted\n</Directory>\nFcgidIPCDir ${fcgidDir}/run\nFcgidProcessTableFile ${fcgidDir}/run/fcgid_shm\n${
      Object.entries(sanitizerEnv()).map(([k, v]) => `FcgidInitialEnv ${k} "${v}"`).join('\n')}\n${
      adapt('latchkey-fcgid.conf', [['/usr/lib/cgi-bin', fcgidBin]])}`,
  }));

  // (d) mod_authnz_fcgi as the gate (Apache's auth_request) in front of an application that
  // echoes the headers it gets; latchkey on TCP, as mod_authnz_fcgi requires.
  upstream = await startEchoUpstream();
  started.push(upstream);
  const tcpPort = await freePort();
  const authnzDir = path.join(dir, 'httpd-authnz');
  fs.mkdirSync(path.join(authnzDir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(authnzDir, 'www/index.html'), '<!doctype html><p>public home</p>\n');
  const tcpConfig = path.join(authnzDir, 'latchkey.conf');
  fs.writeFileSync(tcpConfig, configText({ ...latchkeyConfig(urls.authnz), scopes: 'openid email profile groups' }), { mode: 0o600 });
  tcpLatchkey = new Managed('latchkey (tcp)', latchkeyBinary(), ['--config', tcpConfig, '--listen', `127.0.0.1:${tcpPort}`], {
    logFile: path.join(authnzDir, 'latchkey.log'), env: { ...process.env, ...sanitizerEnv() },
  });
  started.push({ stop: () => tcpLatchkey.stop('SIGTERM', 15000) });
  await waitForConnect({ host: '127.0.0.1', port: tcpPort }, { isAlive: () => tcpLatchkey.alive, what: 'latchkey on TCP' });
  // The provider at server level (a2enconf), the rest inside the site's <VirtualHost>.
  started.push(await startApache({
    dir: authnzDir, port: ports.authnz, modules: ['proxy', 'proxy_fcgi', 'proxy_http', 'authnz_fcgi', 'headers', 'authn_core', 'authz_user'],
    site: `${adapt('latchkey-authnz-provider.conf', [['127.0.0.1:9000', `127.0.0.1:${tcpPort}`]])}
<VirtualHost 127.0.0.1:${ports.authnz}>
DocumentRoot ${authnzDir}/www\n<Directory ${authnzDir}/www>\n    Require all granted\n</Directory>\n${
      withOpsLocation(adapt('latchkey-authnz-fcgi.conf', [['127.0.0.1:9000', `127.0.0.1:${tcpPort}`],
        ['/usr/share/latchkey/error-pages', errorPagesIn(dir)],
        ['#ProxyPass "http://127.0.0.1:3000/private/"', `ProxyPass "http://127.0.0.1:${upstream.port}/private/"`],
        ['#ProxyPass "http://127.0.0.1:3000/admin/"', `ProxyPass "http://127.0.0.1:${upstream.port}/admin/"`]]))}
</VirtualHost>`,
  }));

  // (c) Plain CGI from .htaccess, mod_cgid (Debian's CGI module for the event MPM).
  const cgiDir = path.join(dir, 'httpd-cgi');
  const root = path.join(cgiDir, 'public_html');
  fs.mkdirSync(root, { recursive: true });
  sharedHostingSite(root, urls.cgi);
  started.push(await startApache({
    dir: cgiDir, port: ports.cgi, modules: ['rewrite', 'cgid'],
    site: `ScriptSock ${cgiDir}/run/cgid.sock\nDocumentRoot ${root}\n<Directory ${root}>\n    AllowOverride All\n    Require all granted\n</Directory>\n${
      Object.entries(sanitizerEnv()).map(([k, v]) => `SetEnv ${k} "${v}"`).join('\n')}\n`,
  }));
});

after(async () => {
  const errors = [];
  for (const part of started.reverse()) {
    try { await part.stop(); } catch (err) { errors.push(err); }
  }
  // latchkey as CGI or under mod_fcgid writes to Apache's error log: sanitizer reports land there.
  for (const name of ['httpd-proxy', 'httpd-fcgid', 'httpd-cgi', 'httpd-authnz']) {
    const log = path.join(dir ?? '', name, 'logs/error.log');
    if (fs.existsSync(log)) {
      const bad = fs.readFileSync(log, 'utf8').split('\n').filter((l) => SANITIZER.test(l));
      if (bad.length) errors.push(new Error(`sanitizer report in ${log}:\n${bad.join('\n')}`));
    }
  }
  const tcpReport = (tcpLatchkey?.lines ?? []).filter((l) => SANITIZER.test(l));
  if (tcpReport.length) errors.push(new Error(`sanitizer report from latchkey (tcp):\n${tcpReport.join('\n')}`));
  if (errors.length) throw errors[0];
});

function diag(client, flavour) {
  const log = path.join(dir, `httpd-${flavour}`, 'logs/error.log');
  const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-25).join('\n') : '';
  return `${client.describe()}\n--- ${log} ---\n${tail}`;
}

// The same visit through each deployment: health check, signed-out answers, sign-in at the
// provider, identity, sign-out.
const FLAVOURS = { proxy: 'mod_proxy_fcgi', fcgid: 'mod_fcgid', cgi: 'CGI (.htaccess, mod_cgid)', authnz: 'mod_authnz_fcgi gate' };
for (const [flavour, title] of Object.entries(FLAVOURS)) {
  describe(`Apache ${title}`, { skip }, () => {
    // The routes answer as behind nginx before anybody signs in.
    test('signed out: healthz, userinfo 401, login redirects to the provider', async () => {
      const client = new Client(urls[flavour]);
      const h = await client.get('/healthz');
      assert.equal(h.status, 200, diag(client, flavour));
      assert.equal(h.body.trim(), 'ok');
      assert.equal((await client.get('/userinfo')).status, 401, diag(client, flavour));
      const login = await client.get('/login?rd=/private/report.html');
      assert.equal(login.status, 302, diag(client, flavour));
      assert.ok(login.location.startsWith(`${provider.issuer}/`), login.location);
      const params = new URL(login.location).searchParams;
      assert.equal(params.get('redirect_uri'), `${urls[flavour]}/login/authorized`);
      assert.equal(params.get('code_challenge_method'), 'S256');
      assert.ok(login.setCookies.length >= 1, 'a login cookie is set');
      assert.equal((await client.get('/index.html')).status, 200, 'the rest of the site is untouched');
    });

    // Sign-in end to end; the session works; logout ends it.
    test('sign in, userinfo shows alice, logout', async () => {
      const client = new Client(urls[flavour]);
      const { response } = await signIn(client, DEMO_ACCOUNT, { rd: '/userinfo' });
      assert.equal(response.location, `${urls[flavour]}/userinfo`, diag(client, flavour));
      const info = await followRedirects(client, response);
      assert.equal(info.status, 200, diag(client, flavour));
      const identity = JSON.parse(info.body);
      assert.equal(identity.email, DEMO_ACCOUNT.login);
      assert.equal(identity.sub, DEMO_ACCOUNT.sub);
      const out = await client.post('/logout');
      assert.equal(out.status, 302, diag(client, flavour));
      assert.equal((await client.get('/userinfo')).status, 401, 'signed out again');
    });
  });
}

describe('Apache shared hosting: a folder protected with .htaccess + latchkey-gate.cgi', { skip }, () => {
  // Signed out, every URL under the folder redirects to sign in (rd = that URL), and the file
  // is not sent; the gate itself is not reachable by its own name.
  test('signed out: 302 to /login?rd=, never the file', async () => {
    const client = new Client(urls.cgi);
    const r = await client.get(`${PAGE}?x=1&y=2`);
    assert.equal(r.status, 302, diag(client, 'cgi'));
    assert.equal(r.location, `${urls.cgi}/login?rd=${PAGE}?x=1%26y=2`);
    assert.ok(!r.body.includes(PAGE_TEXT));
    for (const p of ['/private/', '/private/sub/index.html', '/private/.htaccess', '/private/missing.pdf']) {
      const s = await client.get(p);
      assert.ok(s.status === 302 || s.status === 403, `${p}: ${s.status}`);
      assert.ok(!s.body.includes(PAGE_TEXT) && !s.body.includes('RewriteRule'), p);
    }
    assert.equal((await client.get('/latchkey/latchkey-gate.cgi')).status, 403);
    assert.equal((await client.get('/latchkey/latchkey.cgi')).status, 403);
  });

  // After sign-in (starting from the protected page) the visitor lands on it and gets it;
  // dotfiles and traversal stay refused; after logout the folder is closed again.
  test('sign in from the protected page, get the files, logout closes the folder', async () => {
    const client = new Client(urls.cgi);
    const first = await client.get(PAGE);
    const rd = new URL(first.location).searchParams.get('rd');
    assert.equal(rd, PAGE);
    const { response } = await signIn(client, DEMO_ACCOUNT, { rd });
    assert.equal(response.location, `${urls.cgi}${PAGE}`);
    const page = await followRedirects(client, response);
    assert.equal(page.status, 200, diag(client, 'cgi'));
    assert.ok(page.body.includes(PAGE_TEXT));
    assert.match(page.header('content-type'), /^text\/html/);
    const sub = await client.get('/private/sub/');
    assert.equal(sub.status, 200, diag(client, 'cgi'));
    assert.ok(sub.body.includes('sub index'));
    assert.equal((await client.get('/private/sub')).status, 301);
    assert.equal((await client.get('/private/missing.pdf')).status, 404);
    const dot = await client.get('/private/.htaccess');
    assert.ok(dot.status === 403 || dot.status === 404, `dotfile: ${dot.status}`);
    assert.ok(!dot.body.includes('RewriteRule'));
    const traversal = await client.get('/private/%2e%2e/home/latchkey.conf');
    assert.ok(!traversal.body.includes('client_secret'), `traversal: ${traversal.status}`);

    assert.equal((await client.post('/logout')).status, 302);
    const again = await client.get(PAGE);
    assert.equal(again.status, 302, diag(client, 'cgi'));
    assert.ok(!again.body.includes(PAGE_TEXT));
  });

  // latchkey run as CGI straight from Apache: under mod_cgid its stdin is a connected unix
  // socket, not a pipe, and it must still answer as CGI (the shipped wrapper does not rely on
  // it): only a *listening* socket on fd 0 means FastCGI.
  test('latchkey started directly by mod_cgid answers as CGI', async () => {
    const client = new Client(urls.cgi);
    const h = await client.get('/healthz?direct');
    assert.equal(h.status, 200, diag(client, 'cgi'));
    assert.equal(h.body.trim(), 'ok');
  });
});

describe('Apache mod_authnz_fcgi gate (apache/latchkey-authnz-fcgi.conf)', { skip }, () => {
  const FORGED = { 'x-auth-request-email': 'mallory@evil.example', 'x-auth-request-user': 'mallory', 'x-auth-request-name': 'Mallory' };

  // Signed out: the protected application is not reached; the visitor goes to sign in (latchkey's
  // /login answers the 401 ErrorDocument with its 302 to the provider, rd = the page).
  test('signed out: sent to sign in, application not reached', async () => {
    const client = new Client(urls.authnz);
    const before_ = upstream.requests.length;
    const r = await client.get('/private/whoami?a=1&b=2', { headers: FORGED });
    assert.equal(r.status, 302, diag(client, 'authnz'));
    assert.ok(r.location.startsWith(`${provider.issuer}/`), r.location);
    assert.equal(upstream.requests.length, before_);
  });

  // The return address keeps the whole query string, through the ErrorDocument and the sign-in.
  test('signed out with a query string: back on the page with every parameter after sign-in', async () => {
    const client = new Client(urls.authnz);
    const first = await client.get('/private/whoami?a=1&b=x%26y&c=%C3%A9');
    assert.equal(first.status, 302, diag(client, 'authnz'));
    const { authorizeAtProvider } = await import('./lib/signin.mjs');
    const callback = await authorizeAtProvider(client, first.location, DEMO_ACCOUNT);
    const back = await client.get(callback);
    assert.equal(back.status, 302, diag(client, 'authnz'));
    assert.equal(back.location, `${urls.authnz}/private/whoami?a=1&b=x%26y&c=%C3%A9`);
  });

  // Sign-in from the protected page, back on it; the application sees latchkey's identity,
  // never the forged one; logout closes it again.
  test('sign in, application sees the identity, forged headers replaced, logout', async () => {
    const client = new Client(urls.authnz);
    const first = await client.get('/private/whoami');
    const authorizeUrl = first.location;
    assert.ok(authorizeUrl?.startsWith(provider.issuer), diag(client, 'authnz'));
    const { authorizeAtProvider } = await import('./lib/signin.mjs');
    const callback = await authorizeAtProvider(client, authorizeUrl, DEMO_ACCOUNT);
    const back = await client.get(callback);
    assert.equal(back.status, 302, diag(client, 'authnz'));
    assert.equal(back.location, `${urls.authnz}/private/whoami`, 'lands back on the page first asked for');
    const app = await client.get('/private/whoami', { headers: FORGED });
    assert.equal(app.status, 200, diag(client, 'authnz'));
    const seen = JSON.parse(app.body);
    assert.equal(seen.headers['x-auth-request-email'], DEMO_ACCOUNT.login);
    assert.equal(seen.headers['x-auth-request-user'], DEMO_ACCOUNT.sub);
    assert.equal(seen.headers['x-auth-request-name'], DEMO_ACCOUNT.name);
    assert.ok(!seen.rawHeaders.some((v) => /mallory/i.test(v)), JSON.stringify(seen.rawHeaders));
    assert.equal(app.header('x-auth-request-email'), null, 'the answer headers are not sent to the browser');

    // Per-location rules (LATCHKEY_RULES): alice is in admins, not in ops; a rule in the
    // visitor's own query string is not read.
    const admin = await client.get('/admin/whoami?allowed_groups=nobody', { headers: { 'x-auth-request-groups': 'forged' } });
    assert.equal(admin.status, 200, diag(client, 'authnz'));
    assert.equal(JSON.parse(admin.body).headers['x-auth-request-groups'], 'admins,staff');
    const ops = await client.get('/ops/whoami');
    assert.equal(ops.status, 403, diag(client, 'authnz'));
    assert.equal(ops.location, null, 'a 403, not a new sign-in');
    assert.equal((await client.get('/private/whoami?allowed_groups=nobody')).status, 200);
    assert.equal(app.header('cache-control'), 'private, no-store', 'the browser keeps no copy of a protected page');

    assert.equal((await client.post('/logout')).status, 302);
    const again = await client.get('/private/whoami');
    assert.equal(again.status, 302);
    assert.ok(again.location.startsWith(provider.issuer));
  });

  // Apache's own 404 is the shipped latchkey-styled page: a language, landmarks, no script.
  test('Apache\'s own 404 is the styled page of the recipe', async () => {
    const r = await new Client(urls.authnz).get('/no-such-page');
    assert.equal(r.status, 404);
    assert.match(r.body, /<html lang="en">/);
    assert.match(r.body, /<main>[\s\S]*Page not found[\s\S]*<\/main>/);
    assert.doesNotMatch(r.body, /<script/i);
  });
});
